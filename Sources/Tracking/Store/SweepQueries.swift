import Foundation
import GRDB

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
                              createdAt: Date().timeIntervalSince1970, endedAt: nil, seed: seed, specHash: specHash)
        try write { db in
            try db.execute(sql: """
                INSERT INTO sweep (id, project, name, method, config, state, created_at, seed, spec_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [sweep.id, project, name, method, spec, sweep.state.rawValue, sweep.createdAt, Int64(bitPattern: seed), specHash])
        }
        return sweep
    }

    /// The sweep with this id, or the one whose id starts with it, or whose name it is.
    public func sweep(_ idOrPrefix: String) throws -> SweepInfo {
        let matches = try read { db -> [SweepInfo] in
            let exact = try Row.fetchAll(db, sql: "SELECT * FROM sweep WHERE id = ?", arguments: [idOrPrefix])
            let rows = exact.isEmpty
                ? try Row.fetchAll(db, sql: "SELECT * FROM sweep WHERE substr(id, 1, length(?)) = ? OR name = ? ORDER BY created_at", arguments: [idOrPrefix, idOrPrefix, idOrPrefix])
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
            try Row.fetchAll(db, sql: "SELECT * FROM sweep WHERE ? IS NULL OR project = ? ORDER BY created_at, id", arguments: [project, project]).map(Self.sweepInfo)
        }
    }

    /// The newest sweep of `project` with this spec hash and seed (to resume it), if any.
    public func sweep(project: String, specHash: String, seed: UInt64) throws -> SweepInfo? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sweep WHERE project = ? AND spec_hash = ? AND seed = ? ORDER BY created_at DESC LIMIT 1",
                             arguments: [project, specHash, Int64(bitPattern: seed)]).map(Self.sweepInfo)
        }
    }

    /// Sets a sweep's state; an end time unless it is running.
    public func setSweepState(_ id: String, _ state: SweepState) throws {
        try write { db in
            try db.execute(sql: "UPDATE sweep SET state = ?, ended_at = ? WHERE id = ?",
                           arguments: [state.rawValue, state == .running ? nil : Date().timeIntervalSince1970, id])
        }
    }

    /// Whether a trial of the sweep is running, given back, or crashed (so the sweep is not done).
    public func hasOpenTrials(_ sweepID: String) throws -> Bool {
        try read(settling: false) { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM trial WHERE sweep_id = ? AND state IN ('running', 'pending', 'crashed') LIMIT 1", arguments: [sweepID]) ?? false
        }
    }

    /// A sweep's trials in number order.
    public func trials(_ sweepID: String) throws -> [TrialInfo] {
        try read { db in try trialInfos(db, sweepID) }
    }

    /// The trials (meeting `condition`), with their runs unless `withRuns` is false (claiming
    /// needs none: reading every run of the sweep at every claim would grow with the sweep).
    private func trialInfos(_ db: Database, _ sweepID: String, where condition: String = "1", withRuns: Bool = true) throws -> [TrialInfo] {
        var runs: [Int: [String]] = [:]
        if withRuns {
            for row in try Row.fetchAll(db, sql: "SELECT id, trial FROM run WHERE sweep_id = ? ORDER BY created_at, rowid", arguments: [sweepID]) {
                if let trial: Int = row["trial"] { runs[trial, default: []].append(row["id"]) }
            }
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM trial WHERE sweep_id = ? AND (\(condition)) ORDER BY number", arguments: [sweepID])
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
    public func claimTrials(_ sweepID: String, count: Int, withHistory: Bool = false, results: [TrialResult] = [],
                            propose: (ClaimContext) throws -> TrialProposal?) throws -> [TrialClaim] {
        let me = ProcessIdentity.current
        return try writeImmediate { db -> [TrialClaim] in
            for result in results { try record(result, db) }
            let now = Date().timeIntervalSince1970
            var claims: [TrialClaim] = []
            let open = try trialInfos(db, sweepID, where: "state IN ('pending', 'running', 'crashed')", withRuns: false)
            for var again in open where claims.count < count && (again.state == .crashed || again.state == .pending) {
                if again.state == .crashed { again.attempt += 1 }
                again.state = .running
                try db.execute(sql: """
                    UPDATE trial SET state = 'running', attempt = ?, error = NULL, score = NULL, claimed_at = ?, heartbeat_at = ?, ended_at = NULL,
                                     host = ?, pid = ?, boot_id = ?, process_start = ? WHERE sweep_id = ? AND number = ?
                    """, arguments: [again.attempt, now, now, Tracker.host, me?.pid, me?.bootID, me?.startTicks, sweepID, again.number])
                claims.append(TrialClaim(trial: again))
            }
            guard claims.count < count else { return claims }
            var number = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(number), -1) + 1 FROM trial WHERE sweep_id = ?", arguments: [sweepID]) ?? 0
            let scores = try Double.fetchAll(db, sql: "SELECT score FROM trial WHERE sweep_id = ? AND state IN ('finished', 'stopped') AND score IS NOT NULL",
                                             arguments: [sweepID])
            var previous = withHistory ? try trialInfos(db, sweepID, withRuns: false) : []
            while claims.count < count, let proposal = try propose(ClaimContext(number: number, previous: previous, finishedScores: scores)) {
                let trial = TrialInfo(sweepID: sweepID, number: number, config: proposal.config, seed: proposal.seed, state: .running, attempt: 1,
                                      runIDs: [], score: nil, error: nil, claimedAt: now, heartbeatAt: now, endedAt: nil, host: Tracker.host)
                // Cached statements: a batch inserts many trials.
                try db.cachedStatement(sql: """
                    INSERT INTO trial (sweep_id, number, config, seed, state, attempt, claimed_at, heartbeat_at, host, pid, boot_id, process_start)
                    VALUES (?, ?, ?, ?, 'running', 1, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [sweepID, number, JSONText.config(proposal.config), Int64(bitPattern: proposal.seed), now, now, Tracker.host,
                                             me?.pid, me?.bootID, me?.startTicks])
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
                try db.execute(sql: "UPDATE trial SET state = 'pending' WHERE sweep_id = ? AND number = ? AND attempt = ? AND state = 'running'",
                               arguments: [claim.trial.sweepID, claim.trial.number, claim.trial.attempt])
            }
        }
    }

    /// Writes one result, unless the claim was lost meanwhile (returns whether it was written).
    @discardableResult
    private func record(_ result: TrialResult, _ db: Database) throws -> Bool {
        let now = Date().timeIntervalSince1970
        try db.cachedStatement(sql: """
            UPDATE trial SET state = ?, score = ?, error = ?, ended_at = ?, heartbeat_at = ?
            WHERE sweep_id = ? AND number = ? AND attempt = ? AND state = 'running'
            """).execute(arguments: [result.state.rawValue, result.score.flatMap { $0.isFinite ? $0 : nil }, result.error, now, now,
                                     result.claim.trial.sweepID, result.claim.trial.number, result.claim.trial.attempt])
        return db.changesCount == 1
    }

    /// Refreshes a claimed trial's heartbeat (while it trains); false when the claim is lost.
    @discardableResult
    public func heartbeat(_ claim: TrialClaim) throws -> Bool {
        try write { db in
            try db.execute(sql: "UPDATE trial SET heartbeat_at = ? WHERE sweep_id = ? AND number = ? AND attempt = ? AND state = 'running'",
                           arguments: [Date().timeIntervalSince1970, claim.trial.sweepID, claim.trial.number, claim.trial.attempt])
            return db.changesCount == 1
        }
    }

    /// Ends a claimed trial with its state, score and error. Returns false, changing nothing, when
    /// the claim was lost meanwhile (the trial was handed to another process after this one
    /// looked dead): a late result is never counted twice.
    @discardableResult
    public func finishTrial(_ claim: TrialClaim, state: TrialState, score: Double?, error: String?) throws -> Bool {
        try write { db in try record(TrialResult(claim: claim, state: state, score: score, error: error), db) }
    }

    private static func sweepInfo(_ row: Row) throws -> SweepInfo {
        let seed: Int64 = row["seed"] ?? 0
        return SweepInfo(id: row["id"], project: row["project"], name: row["name"], method: row["method"], spec: row["config"], state: try SweepState.stored(row["state"], of: "sweep \(row["id"] as String)"),
                         createdAt: row["created_at"], endedAt: row["ended_at"], seed: UInt64(bitPattern: seed), specHash: row["spec_hash"] ?? "")
    }

    private func trialInfo(_ row: Row, runs: [Int: [String]]) throws -> TrialInfo {
        let stored = try TrialState.stored(row["state"], of: "trial \(row["number"] as Int? ?? -1)")
        let heartbeat: Double = row["heartbeat_at"]
        let pid: Int64? = row["pid"], start: Int64? = row["process_start"]
        let gone = ProcessIdentity.isAlive(pid: pid.flatMap { Int32(exactly: $0) }, bootID: row["boot_id"], startTicks: start, host: row["host"]) == false
        let stale = stored == .running && (gone || Date().timeIntervalSince1970 - heartbeat > staleAfter)
        let seed: Int64 = row["seed"]
        return TrialInfo(sweepID: row["sweep_id"], number: row["number"],
                         config: Self.config(row["config"]),
                         seed: UInt64(bitPattern: seed), state: stale ? .crashed : stored, attempt: row["attempt"],
                         runIDs: runs[row["number"]] ?? [],
                         score: row["score"], error: row["error"], claimedAt: row["claimed_at"], heartbeatAt: heartbeat, endedAt: row["ended_at"],
                         host: row["host"])
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
