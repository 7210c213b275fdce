import Foundation

/// A hyperparameter sweep as stored: its spec (JSON), method, seed and state.
public struct SweepInfo: Sendable, Codable, Equatable {
    public var id: String
    public var project: String
    public var name: String
    public var method: String
    /// The sweep's definition as JSON (what `temper agent` needs to take part).
    public var spec: String
    public var state: SweepState
    public var createdAt: Double
    public var endedAt: Double?
    public var seed: UInt64
    public var specHash: String
}

/// How a trial stands.
public enum TrialState: String, Sendable, Codable, CaseIterable {
    /// Proposed, claimed, then given back unstarted (by a process that stopped): the next claim
    /// takes it as it is.
    case pending
    /// Claimed by a live process.
    case running
    /// Trained to the end; its score counts.
    case finished
    /// Threw (a NaN loss, a bad configuration): recorded with its error, not run again.
    case failed
    /// Its process died or was interrupted: run again, with the same configuration and seed.
    case crashed
    /// Stopped early by an early-termination rule: its score so far counts.
    case stopped
}

/// A trial of a sweep: a configuration, a seed, and the runs that trained it.
public struct TrialInfo: Sendable, Codable, Equatable {
    public var sweepID: String
    public var number: Int
    public var config: RunConfig
    public var seed: UInt64
    /// As stored, except that a `running` trial whose process is gone (or whose heartbeat is
    /// older than the store's `staleAfter`) reads as `crashed`.
    public var state: TrialState
    /// 1 for the first claim, one more for each time it was claimed again after a crash.
    public var attempt: Int
    /// Its runs (every execution of every attempt), oldest first.
    public var runIDs: [String]
    public var score: Double?
    public var error: String?
    public var claimedAt: Double
    public var heartbeatAt: Double
    public var endedAt: Double?
    public var host: String
}

/// A trial this process claimed: it trains it and reports the result with `finishTrial`.
public struct TrialClaim: Sendable, Equatable {
    public var trial: TrialInfo
    /// Whether it was claimed again after a crash (same configuration and seed).
    public var isRetry: Bool { trial.attempt > 1 }
}

/// What a sampler proposes for a new trial: its configuration and seed.
public struct TrialProposal: Sendable {
    public var config: RunConfig
    public var seed: UInt64
    public init(config: RunConfig, seed: UInt64) {
        self.config = config
        self.seed = seed
    }
}

extension RunStore {
    /// Creates a sweep (state `running`).
    public func createSweep(project: String, name: String, method: String, spec: String, seed: UInt64, specHash: String) throws -> SweepInfo {
        let sweep = SweepInfo(id: Tracker.newID(), project: project, name: name, method: method, spec: spec, state: .running,
                              createdAt: now(), endedAt: nil, seed: seed, specHash: specHash)
        try write { db in
            try db.execute("""
                INSERT INTO sweep (id, project, name, method, config, state, created_at, seed, spec_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, sweep.id, project, name, method, spec, sweep.state.rawValue, sweep.createdAt, Int64(bitPattern: seed), specHash)
        }
        return sweep
    }

    /// The newest running-or-stopped sweep of `project` with this spec hash and seed, set running
    /// again — or, when there is none (or `resume` is false), a new one; found or created in one
    /// write transaction, so processes that start the same sweep at once get one sweep.
    public func findOrCreateSweep(project: String, name: String, method: String, spec: String, seed: UInt64, specHash: String,
                                  resume: Bool) throws -> (sweep: SweepInfo, found: Bool) {
        let created = SweepInfo(id: Tracker.newID(), project: project, name: name, method: method, spec: spec, state: .running,
                                createdAt: now(), endedAt: nil, seed: seed, specHash: specHash)
        return try write { db in
            // PostgreSQL: starts of the same sweep wait for each other (SQLite's write lock does it).
            if db.dialect == .postgres { try db.execute("SELECT pg_advisory_xact_lock(hashtext(?))", "temper sweep \(project) \(specHash) \(seed)") }
            if resume, let row = try db.fetch("SELECT * FROM sweep WHERE project = ? AND spec_hash = ? AND seed = ? ORDER BY created_at DESC LIMIT 1",
                                             project, specHash, Int64(bitPattern: seed)).first {
                var existing = try Self.sweepInfo(row)
                if existing.state != .running {
                    try db.execute("UPDATE sweep SET state = 'running', ended_at = NULL WHERE id = ?", existing.id)
                    existing.state = .running
                    existing.endedAt = nil
                }
                return (existing, true)
            }
            try db.execute("""
                INSERT INTO sweep (id, project, name, method, config, state, created_at, seed, spec_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, created.id, project, name, method, spec, created.state.rawValue, created.createdAt, Int64(bitPattern: seed), specHash)
            return (created, false)
        }
    }

    /// The sweep with this id, or the one whose id starts with it, or whose name it is.
    public func sweep(_ idOrPrefix: String) throws -> SweepInfo {
        let matches = try read { db -> [SweepInfo] in
            let exact = try db.fetch("SELECT * FROM sweep WHERE id = ?", idOrPrefix)
            let rows = exact.isEmpty
                ? try db.fetch("SELECT * FROM sweep WHERE substr(id, 1, length(?)) = ? OR name = ? ORDER BY created_at", idOrPrefix, idOrPrefix, idOrPrefix)
                : exact
            return try rows.map(Self.sweepInfo)
        }
        guard matches.count == 1 else {
            throw TrackingError.unknownRun(matches.isEmpty
                ? "no sweep \"\(idOrPrefix)\" in \(path); `temper sweeps` lists them"
                : "\"\(idOrPrefix)\" matches \(matches.count) sweeps (\(matches.prefix(5).map(\.id).joined(separator: ", "))); give more of the id")
        }
        return matches[0]
    }

    /// Every sweep (of a project), oldest first.
    public func sweeps(project: String? = nil) throws -> [SweepInfo] {
        try read { db in
            let rows = try project.map { try db.fetch("SELECT * FROM sweep WHERE project = ? ORDER BY created_at, id", $0) }
                ?? db.fetch("SELECT * FROM sweep ORDER BY created_at, id")
            return try rows.map(Self.sweepInfo)
        }
    }

    /// The newest sweep of `project` with this spec hash and seed (to resume it), if any.
    public func sweep(project: String, specHash: String, seed: UInt64) throws -> SweepInfo? {
        try read { db in
            try db.fetch("SELECT * FROM sweep WHERE project = ? AND spec_hash = ? AND seed = ? ORDER BY created_at DESC LIMIT 1",
                         project, specHash, Int64(bitPattern: seed)).first.map(Self.sweepInfo)
        }
    }

    /// Sets a sweep's state; an end time unless it is running.
    public func setSweepState(_ id: String, _ state: SweepState) throws {
        try write { db in
            try db.execute("UPDATE sweep SET state = ?, ended_at = ? WHERE id = ?", state.rawValue, state == .running ? nil : now(), id)
        }
    }

    /// Whether a trial of the sweep is running, given back, or crashed (so the sweep is not done).
    public func hasOpenTrials(_ sweepID: String) throws -> Bool {
        try read(settling: false) { db in
            try !db.fetch("SELECT 1 FROM trial WHERE sweep_id = ? AND state IN ('running', 'pending', 'crashed') LIMIT 1", sweepID).isEmpty
        }
    }

    /// A sweep's trials in number order.
    public func trials(_ sweepID: String) throws -> [TrialInfo] {
        try read { db in try trialInfos(db, sweepID) }
    }

    /// The trials (meeting `condition`), with their runs unless `withRuns` is false (claiming
    /// needs none: reading every run of the sweep at every claim would grow with the sweep).
    private func trialInfos(_ db: any StoreTransaction, _ sweepID: String, where condition: String = "TRUE", _ arguments: [StoreValue] = [],
                            suffix: String = "", withRuns: Bool = true) throws -> [TrialInfo] {
        var runs: [Int: [String]] = [:]
        if withRuns {
            for row in try db.fetch("SELECT id, trial FROM run WHERE sweep_id = ? ORDER BY created_at, id", sweepID) {
                if let trial = try row.optionalInt("trial") { runs[trial, default: []].append(try row.text("id")) }
            }
        }
        return try db.fetch("SELECT * FROM trial WHERE sweep_id = ? AND (\(condition)) ORDER BY number \(suffix)", [.text(sweepID)] + arguments)
            .map { try trialInfo($0, runs: runs) }
    }

    /// What a sampler may read when a trial is claimed: the trials before it (only when it asks
    /// for them: reading them all costs time on every claim) and the finished trials' scores.
    public struct ClaimContext: Sendable {
        public var number: Int
        public var previous: [TrialInfo]
        public var finishedScores: [Double]
    }

    /// How a claimed trial ended, to record.
    public struct TrialResult: Sendable {
        public var claim: TrialClaim
        public var state: TrialState
        public var score: Double?
        public var error: String?
        public init(claim: TrialClaim, state: TrialState, score: Double?, error: String?) {
            self.claim = claim
            self.state = state
            self.score = score
            self.error = error
        }
    }

    /// Claims one trial (see `claimTrials`).
    public func claimTrial(_ sweepID: String, withHistory: Bool = false, propose: (ClaimContext) throws -> TrialProposal?) throws -> TrialClaim? {
        try claimTrials(sweepID, count: 1, withHistory: withHistory, propose: propose).first
    }

    /// Records `results` and claims up to `count` trials of `sweepID` for this process, in one
    /// immediate transaction (so two processes never take the same trial, and a sweep of short
    /// trials does not pay a transaction per trial): first trials given back unstarted
    /// (`pending`), then ones that crashed or whose process is gone (again, with their
    /// configuration and seed, one attempt more), lowest numbers first; then new trials numbered on
    /// from the highest, with what `propose` returns — until it returns nil (nothing more to run).
    /// `withHistory` gives `propose` every earlier trial.
    /// `withScores: false` leaves `finishedScores` empty (a sweep without a target needs none).
    ///
    /// On PostgreSQL the claim commits without waiting for its log to reach the disk
    /// (`synchronous_commit = off` for this transaction only): the sweep's row stays locked for
    /// less time. A server crash may forget the last claims and results (never half of one);
    /// such a trial is proposed again with the same configuration, or counts as crashed when its
    /// heartbeat stops, and is run again — what the runs logged is committed durably.
    public func claimTrials(_ sweepID: String, count: Int, withHistory: Bool = false, withScores: Bool = true, results: [TrialResult] = [],
                            propose: (ClaimContext) throws -> TrialProposal?) throws -> [TrialClaim] {
        let me = ProcessIdentity.current
        return try write { db -> [TrialClaim] in
            if db.dialect == .postgres { try db.execute("SET LOCAL synchronous_commit TO off", []) }
            for result in results { try record(result, db) }
            let now = now()
            var claims: [TrialClaim] = []
            // SQLite's immediate transaction holds the store's write lock. PostgreSQL locks the
            // trials this claim may take that no other agent is recording (SKIP LOCKED): given
            // back, crashed, or running without a recent heartbeat or on this machine (whose
            // process may be gone); then the sweep's row, which every claim of new trial numbers
            // takes (NO KEY UPDATE: runs of the sweep may still be registered meanwhile).
            let open: [TrialInfo]
            switch db.dialect {
            case .sqlite:
                open = try trialInfos(db, sweepID, where: "state IN ('pending', 'running', 'crashed')", withRuns: false)
            case .postgres:
                open = try trialInfos(db, sweepID, where: "state IN ('pending', 'crashed') OR (state = 'running' AND (heartbeat_at < ? OR host = ?))",
                                      [.real(now - staleAfter), .text(Tracker.host)], suffix: "FOR UPDATE SKIP LOCKED", withRuns: false)
            }
            for var again in open where claims.count < count && (again.state == .crashed || again.state == .pending) {
                if again.state == .crashed { again.attempt += 1 }
                again.state = .running
                try db.execute("""
                    UPDATE trial SET state = 'running', attempt = ?, error = NULL, score = NULL, claimed_at = ?, heartbeat_at = ?, ended_at = NULL,
                                     host = ?, pid = ?, boot_id = ?, process_start = ? WHERE sweep_id = ? AND number = ?
                    """, again.attempt, now, now, Tracker.host, me?.pid, me?.bootID, me?.startTicks, sweepID, again.number)
                claims.append(TrialClaim(trial: again))
            }
            guard claims.count < count else { return claims }
            if db.dialect == .postgres { try db.execute("SELECT id FROM sweep WHERE id = ? FOR NO KEY UPDATE", sweepID) }
            var number = try db.fetch("SELECT COALESCE(MAX(number), -1) + 1 AS next FROM trial WHERE sweep_id = ?", sweepID).first?.int("next") ?? 0
            let scores = withScores
                ? try db.fetch("SELECT score FROM trial WHERE sweep_id = ? AND state IN ('finished', 'stopped') AND score IS NOT NULL", sweepID)
                    .map { try $0.double("score") }
                : []
            var previous = withHistory ? try trialInfos(db, sweepID, withRuns: false) : []
            while claims.count < count, let proposal = try propose(ClaimContext(number: number, previous: previous, finishedScores: scores)) {
                let trial = TrialInfo(sweepID: sweepID, number: number, config: proposal.config, seed: proposal.seed, state: .running, attempt: 1,
                                      runIDs: [], score: nil, error: nil, claimedAt: now, heartbeatAt: now, endedAt: nil, host: Tracker.host)
                try db.execute("""
                    INSERT INTO trial (sweep_id, number, config, seed, state, attempt, claimed_at, heartbeat_at, host, pid, boot_id, process_start)
                    VALUES (?, ?, ?, ?, 'running', 1, ?, ?, ?, ?, ?, ?)
                    """, sweepID, number, JSONText.config(proposal.config), Int64(bitPattern: proposal.seed), now, now, Tracker.host,
                    me?.pid, me?.bootID, me?.startTicks)
                claims.append(TrialClaim(trial: trial))
                if withHistory { previous.append(trial) }
                number += 1
            }
            return claims
        }
    }

    /// Gives back claimed trials that were not started (`pending`: the next claim takes them as
    /// they are) and records `results`.
    public func releaseTrials(_ claims: [TrialClaim], results: [TrialResult] = []) throws {
        guard !claims.isEmpty || !results.isEmpty else { return }
        try write { db in
            for result in results { try record(result, db) }
            for claim in claims {
                try db.execute("UPDATE trial SET state = 'pending' WHERE sweep_id = ? AND number = ? AND attempt = ? AND state = 'running'",
                               claim.trial.sweepID, claim.trial.number, claim.trial.attempt)
            }
        }
    }

    /// Writes one result, unless the claim was lost meanwhile (returns whether it was written).
    @discardableResult
    private func record(_ result: TrialResult, _ db: any StoreTransaction) throws -> Bool {
        let now = now()
        return try db.execute("""
            UPDATE trial SET state = ?, score = ?, error = ?, ended_at = ?, heartbeat_at = ?
            WHERE sweep_id = ? AND number = ? AND attempt = ? AND state = 'running'
            """, result.state.rawValue, result.score.flatMap { $0.isFinite ? $0 : nil }, result.error, now, now,
            result.claim.trial.sweepID, result.claim.trial.number, result.claim.trial.attempt) == 1
    }

    /// Marks the finished runs this process logged for a claim it lost (another agent took the
    /// trial again after this one looked dead) as `failed` with `because`: its result was not
    /// counted, and reports should not show a second finished run of the trial.
    public func markSuperseded(_ claim: TrialClaim, because: String) throws {
        let me = ProcessIdentity.current
        try write { db in
            try db.execute("""
                UPDATE run SET state = 'failed', error = ?
                WHERE sweep_id = ? AND trial = ? AND state = 'finished' AND created_at >= ? AND host = ? AND pid IS NOT DISTINCT FROM ? AND process_start IS NOT DISTINCT FROM ?
                """, because, claim.trial.sweepID, claim.trial.number, claim.trial.claimedAt - 1, Tracker.host, me?.pid, me?.startTicks)
        }
    }

    /// Refreshes a claimed trial's heartbeat (while it trains); false when the claim is lost.
    @discardableResult
    public func heartbeat(_ claim: TrialClaim) throws -> Bool {
        try write { db in
            try db.execute("UPDATE trial SET heartbeat_at = ? WHERE sweep_id = ? AND number = ? AND attempt = ? AND state = 'running'",
                           now(), claim.trial.sweepID, claim.trial.number, claim.trial.attempt) == 1
        }
    }

    /// Ends a claimed trial with its state, score and error. Returns false, changing nothing, when
    /// the claim was lost meanwhile (the trial was handed to another process after this one
    /// looked dead): a late result is never counted twice.
    @discardableResult
    public func finishTrial(_ claim: TrialClaim, state: TrialState, score: Double?, error: String?) throws -> Bool {
        try write { db in try record(TrialResult(claim: claim, state: state, score: score, error: error), db) }
    }

    private static func sweepInfo(_ row: StoreRow) throws -> SweepInfo {
        let id = try row.text("id")
        return SweepInfo(id: id, project: try row.text("project"), name: try row.text("name"), method: try row.text("method"), spec: try row.text("config"),
                         state: try SweepState.stored(try row.text("state"), of: "sweep \(id)"), createdAt: try row.double("created_at"),
                         endedAt: try row.optionalDouble("ended_at"), seed: UInt64(bitPattern: try row.optionalInt64("seed") ?? 0),
                         specHash: try row.optionalText("spec_hash") ?? "")
    }

    private func trialInfo(_ row: StoreRow, runs: [Int: [String]]) throws -> TrialInfo {
        let number = try row.int("number")
        let stored = try TrialState.stored(try row.text("state"), of: "trial \(number)")
        let heartbeat = try row.double("heartbeat_at")
        let stale = stored == .running && (Self.processIsGone(row) || now() - heartbeat > staleAfter)
        return TrialInfo(sweepID: try row.text("sweep_id"), number: number, config: Self.config(try row.text("config")),
                         seed: UInt64(bitPattern: try row.int64("seed")), state: stale ? .crashed : stored, attempt: try row.int("attempt"),
                         runIDs: runs[number] ?? [], score: try row.optionalDouble("score"), error: try row.optionalText("error"),
                         claimedAt: try row.double("claimed_at"), heartbeatAt: heartbeat, endedAt: try row.optionalDouble("ended_at"),
                         host: try row.text("host"))
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
