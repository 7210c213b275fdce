import Foundation
import Tracking

/// What training a trial gave: its score (the objective, averaged over executions) and whether
/// an early-termination rule stopped it.
public struct TrialOutcome: Sendable {
    public var score: Double?
    public var stoppedEarly: Bool
    /// Why the early-termination rule stopped it (recorded with the trial).
    public var stopReason: String?
    /// Seconds spent building and training models (the rest of a sweep's time is its overhead:
    /// claiming, the store, sampling).
    public var trainingSeconds: Double
    /// The trial's runs still being written: the trial is recorded finished only once they are,
    /// so a finished trial never has a run missing what it logged.
    public var runs: [Run]
    public init(score: Double?, stoppedEarly: Bool = false, stopReason: String? = nil, trainingSeconds: Double = 0, runs: [Run] = []) {
        self.score = score
        self.stoppedEarly = stoppedEarly
        self.stopReason = stopReason
        self.trainingSeconds = trainingSeconds
        self.runs = runs
    }
}

/// Trains one claimed trial: in this process (a model and data), or as a command in a subprocess.
public protocol TrialExecutor: Sendable {
    /// Trains `claim`'s trial (every execution), logging its runs to `tracker` with the sweep and
    /// trial number, and returns its outcome; throws when the trial fails (its error is recorded).
    func execute(_ claim: TrialClaim, of sweep: Sweep, tracker: Tracker, control: TrialControl) throws -> TrialOutcome

    /// Trains `claims`' trials at once where it can (vectorized trials: those whose models compile
    /// to one program train as one), and returns one result per claim, in order: what `execute`
    /// gives for that trial alone. The default trains them one after another.
    func execute(group claims: [TrialClaim], of sweep: Sweep, tracker: Tracker, control: TrialControl) -> [Result<TrialOutcome, Error>]
}

extension TrialExecutor {
    public func execute(group claims: [TrialClaim], of sweep: Sweep, tracker: Tracker, control: TrialControl) -> [Result<TrialOutcome, Error>] {
        claims.map { claim in
            // Stopped (Ctrl-C): the trials not begun run again on resume.
            control.isStopRequested ? .failure(TrialInterrupted()) : Result { try execute(claim, of: sweep, tracker: tracker, control: control) }
        }
    }
}

/// What a running trial is told: to stop (Ctrl-C), and which runs it logged.
public final class TrialControl: @unchecked Sendable {
    private let lock = NSLock()
    private var stopRequested = false

    /// True once the sweep was asked to stop: the trial ends at the next epoch and runs again on
    /// resume.
    public var isStopRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    func requestStop() {
        lock.lock()
        stopRequested = true
        lock.unlock()
    }
}

/// The thrown error of a trial that was interrupted (not failed): it runs again on resume.
public struct TrialInterrupted: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "interrupted; the trial runs again, with the same configuration and seed, when the sweep is resumed" }
}

/// How far a sweep is, for a live view.
public struct SweepProgress: Sendable {
    public var finished: Int
    public var failed: Int
    public var running: Int
    /// The sweep's size, when bounded.
    public var total: Int?
    public var best: TrialInfo?
    public var elapsed: TimeInterval
    /// Seconds left, estimated from the trials finished in this session.
    public var remaining: TimeInterval?
}

/// Runs a sweep's trials on `workers` threads of this process until none is left to claim (or
/// `stop()` is called), each thread claiming trials from the store as any other agent does, and
/// keeping its claims alive with a heartbeat.
public final class SweepRunner: @unchecked Sendable {
    public let sweep: Sweep
    public let tracker: Tracker
    public let executor: any TrialExecutor
    public let workers: Int
    /// How many claimed trials a worker trains at once as one program (`--vectorize`); a trial's
    /// result does not depend on it.
    public var grouping: TrialGrouping = .apart
    /// How often claimed trials' heartbeats are refreshed (their claim lapses after the store's
    /// `staleAfter` without one).
    public var heartbeatInterval: TimeInterval = 5
    /// Told about progress (after each trial, and every `progressInterval` seconds).
    public var onProgress: (@Sendable (SweepProgress) -> Void)?
    public var progressInterval: TimeInterval = 1
    /// Told when a worker starts a trial, and when it ends (with the trial as stored then).
    public var onTrialStart: (@Sendable (TrialInfo) -> Void)?
    public var onTrialEnd: (@Sendable (TrialInfo) -> Void)?

    private let control = TrialControl()
    /// The workers' queues (set when `run` starts).
    private var queues: [WorkerQueue] = []
    private let lock = NSLock()
    private var claims: [Int: TrialClaim] = [:]
    private var firstError: Error?
    private var completedHere = 0
    private var training = 0.0
    private var inTrials = 0.0

    /// The group size each worker ended with (`grouping`; with `.automatic`, what it chose),
    /// once `run` returned.
    public var groupSizes: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return endedGroupSizes
    }
    private var endedGroupSizes: [Int] = []

    /// Seconds the workers spent building and training models, summed over workers.
    public var trainingSeconds: Double {
        lock.lock()
        defer { lock.unlock() }
        return training
    }

    /// Seconds the workers spent inside trials (training, and each trial's run and spec), summed
    /// over workers: the rest of their time went to claiming, sampling and recording results.
    public var trialSeconds: Double {
        lock.lock()
        defer { lock.unlock() }
        return inTrials
    }

    public init(sweep: Sweep, tracker: Tracker, executor: any TrialExecutor, workers: Int = 1) throws {
        guard workers >= 1 else { throw TuningError.invalidSearch("the number of parallel workers must be at least 1, not \(workers)") }
        self.sweep = sweep
        self.tracker = tracker
        self.executor = executor
        self.workers = workers
    }

    /// Asks every worker to stop: no new trial is claimed, running ones end at their next epoch
    /// and are marked to run again on resume.
    public func stop() { control.requestStop() }

    public var isStopped: Bool { control.isStopRequested }

    /// Runs until no trial is left or `stop()`; rethrows the first error that is not a trial's
    /// own (the store failing, say). Sets the sweep's state: `finished` when nothing is left,
    /// `stopped` after `stop()`.
    public func run() throws {
        let start = Date()
        let group = DispatchGroup()
        queues = (0..<workers).map { _ in WorkerQueue() }
        for (index, queue) in queues.enumerated() {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                work(queue)
            }
            thread.name = "temper-sweep-worker-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
        var lastBeat = Date(), lastProgress = Date.distantPast
        while group.wait(timeout: .now() + 0.05) == .timedOut {
            if Date().timeIntervalSince(lastBeat) >= heartbeatInterval {
                lastBeat = Date()
                for claim in currentClaims() { _ = try? sweep.store.heartbeat(claim) }
            }
            if Date().timeIntervalSince(lastProgress) >= progressInterval {
                lastProgress = Date()
                reportProgress(since: start)
            }
            for queue in queues {
                var (results, runs, giveBack) = queue.due(resultAge: Self.resultAge, runningAge: 2 * Self.batchSeconds)
                hand(results, runs: &runs, giveBack: giveBack)
            }
        }
        reportProgress(since: start)
        lock.lock()
        let error = firstError
        lock.unlock()
        if let error { throw error }
        // Finished only when no trial is left to run (another process may still be running some).
        let open = try sweep.store.hasOpenTrials(sweep.info.id)
        try sweep.store.setSweepState(sweep.info.id, control.isStopRequested ? .stopped : open ? .running : .finished)
    }

    /// A worker: claims trials in batches (recording ended trials' results in the same
    /// transaction), so that a sweep of short trials pays a transaction per batch, not per trial;
    /// the batch is sized to take about `batchSeconds` (one trial while their length is unknown).
    /// The monitor (`run`) records results that wait longer and gives back the claims a long trial
    /// would hold up.
    private func work(_ queue: WorkerQueue) {
        // A trial's length, averaged over the recent ones (the first compiles the model: slower).
        var typical: Double?
        // No larger than one claim may take (`Sampler.maxBatch`); the lag rule's shorter groups
        // settle it (`GroupSizeChooser.record`).
        var chooser = GroupSizeChooser(maximum: Swift.min(16, sweep.plan.sampler.maxBatch))
        while !control.isStopRequested {
            let groupSize = self.groupSize(chooser)
            let group = queue.next(upTo: groupSize)
            guard !group.isEmpty else {
                let size = Swift.max(groupSize, typical.map { Swift.max(1, Swift.min(Self.maxBatch, Int(Self.batchSeconds / Swift.max($0, 1e-6)))) } ?? 1)
                // With a target, results go in at once (the next claim must see whether it was
                // reached); otherwise those whose runs are still being written wait for later.
                queue.startClaiming()
                do {
                    // A learning sampler needs every result recorded before it proposes.
                    let recordAll = sweep.plan.objective.target != nil || sweep.plan.waitsForResults
                    let results = recordAll ? try queue.takeAllResults() : queue.takeWrittenResults()
                    let (batch, waiting) = try sweep.claimBatch(count: size, results: results)
                    settled(results, giveBack: [])
                    for claim in batch { register(claim) }
                    queue.fill(batch)
                    if batch.isEmpty {
                        // Nothing to claim now; another worker of this process may still give
                        // claims back (a long trial holds its batch, or its claim is under way),
                        // or trials the sampler must learn from are still running (here or in
                        // another process): wait for that.
                        guard waiting || queues.contains(where: { $0 !== queue && $0.isBusy }) else { break }
                        Thread.sleep(forTimeInterval: waiting ? 0.05 : 0.02)
                        continue
                    }
                } catch {
                    queue.fill([])
                    fail(error)
                    return
                }
                continue
            }
            for claim in group { onTrialStart?(claim.trial) }
            let started = Date()
            let ends = execute(group)
            let took = Date().timeIntervalSince(started)
            chooser.record(trials: group.count, seconds: took)
            for (claim, end) in zip(group, ends) {
                var (state, score, message, runs) = end
                if (try? sweep.store.heartbeat(claim)) == false {
                    // This process looked dead meanwhile (paused, or its heartbeats failed) and the
                    // trial went to another agent: its runs are marked, its result is not counted.
                    let note = "not counted: another agent took trial \(claim.trial.number) again after this one sent no heartbeat for \(Int(sweep.store.staleAfter)) s"
                    do {
                        try waitForRuns(&runs)
                        try sweep.store.markSuperseded(claim, because: note)
                    } catch {
                        fail(error)
                    }
                    (state, score, message) = (.crashed, nil, note)
                }
                queue.ended(RunStore.TrialResult(claim: claim, state: state, score: score, error: message), runs: runs)
            }
            let perTrial = took / Double(group.count)
            typical = typical.map { 0.7 * $0 + 0.3 * perTrial } ?? perTrial
            lock.lock()
            inTrials += took
            lock.unlock()
        }
        lock.lock()
        endedGroupSizes.append(groupSize(chooser))
        lock.unlock()
        // Done or stopped: record what ended (once its runs are written), give back what never started.
        var (results, runs, giveBack) = queue.drain()
        hand(results, runs: &runs, giveBack: giveBack)
    }

    /// Records results (after their runs are written) and gives back unstarted claims.
    private func hand(_ results: [RunStore.TrialResult], runs: inout [Run], giveBack: [TrialClaim]) {
        guard !results.isEmpty || !giveBack.isEmpty else { return }
        do {
            try waitForRuns(&runs)
            try sweep.store.releaseTrials(giveBack, results: results)
        } catch {
            fail(error)
        }
        settled(results, giveBack: giveBack)
    }

    /// After results were recorded and claims given back: they are no longer this process's.
    private func settled(_ results: [RunStore.TrialResult], giveBack: [TrialClaim]) {
        for claim in results.map(\.claim) + giveBack { unregister(claim) }
        report(results)
    }

    /// At most this many trials are claimed at once, and a batch takes about `batchSeconds`.
    static let maxBatch = 64
    static let batchSeconds = 0.05
    /// Ended trials wait at most about this long to be recorded (a process killed meanwhile has
    /// their runs: a resumed sweep scores them from those, without training them again).
    static let resultAge = 0.25

    private func report(_ results: [RunStore.TrialResult]) {
        guard let onTrialEnd else { return }
        for result in results {
            var ended = result.claim.trial
            (ended.state, ended.score, ended.error) = (result.state, result.score, result.error)
            onTrialEnd(ended)
        }
    }

    /// The size of a worker's next group of trials.
    private func groupSize(_ chooser: GroupSizeChooser) -> Int {
        switch grouping {
        case .apart: return 1
        case .upTo(let k): return Swift.max(1, Swift.min(k, TrialGrouping.maximum))
        case .automatic: return chooser.size
        }
    }

    /// Runs the trials (together, when there are several: `TrialExecutor.execute(group:)`) and
    /// turns what happened to each into its end state (and the runs to wait for). A trial claimed
    /// again whose runs all finished is scored from them, not trained again.
    private func execute(_ claims: [TrialClaim]) -> [(TrialState, Double?, String?, [Run])] {
        var ends: [(TrialState, Double?, String?, [Run])?] = Array(repeating: nil, count: claims.count)
        var toTrain: [Int] = []
        for (i, claim) in claims.enumerated() {
            do {
                if claim.isRetry, let score = try recoveredScore(claim) { ends[i] = (.finished, score, nil, []) } else { toTrain.append(i) }
            } catch {
                ends[i] = end(of: .failure(error))
            }
        }
        let results = toTrain.count == 1
            ? [Result { try executor.execute(claims[toTrain[0]], of: sweep, tracker: tracker, control: control) }]
            : executor.execute(group: toTrain.map { claims[$0] }, of: sweep, tracker: tracker, control: control)
        for (i, result) in zip(toTrain, results) { ends[i] = end(of: result) }
        return ends.map { $0 ?? (.failed, nil, "the executor gave no result for this trial", []) }
    }

    /// A trial's end state (and the runs to wait for) from what training it gave.
    private func end(of result: Result<TrialOutcome, Error>) -> (TrialState, Double?, String?, [Run]) {
        switch result {
        case .success(let outcome):
            lock.lock()
            training += outcome.trainingSeconds
            lock.unlock()
            return (outcome.stoppedEarly ? .stopped : .finished, outcome.score, outcome.stopReason, outcome.runs)
        case .failure(let error as TrialInterrupted):
            return (.crashed, nil, error.description, [])
        case .failure(let error):
            if control.isStopRequested { return (.crashed, nil, TrialInterrupted().description, []) }
            return (.failed, nil, "\(error)", [])
        }
    }

    /// The score of a trial claimed again whose every execution's run had finished (its process
    /// died between the runs' last write and recording the trial): computed from what they
    /// logged, so the trial is not trained twice. Nil when some execution did not finish.
    private func recoveredScore(_ claim: TrialClaim) throws -> Double? {
        let plan = sweep.plan
        let runs = try sweep.store.runs(sweep: sweep.info.id).filter { $0.trial == claim.trial.number && $0.state == .finished }
        var scores: [Double] = []
        for execution in 0..<plan.executionsPerTrial {
            guard let run = runs.last(where: { TrialRuns.execution(of: $0) == execution }) else { return nil }
            let history = try sweep.store.history(run.id, keys: [plan.objective.name])[plan.objective.name]?.map(\.value) ?? []
            guard let score = plan.objective.value(of: history) else { return nil }
            scores.append(score)
        }
        return scores.reduce(0, +) / Double(scores.count)
    }

    /// Waits until `runs` are written (usually long done by the end of a batch), and empties it.
    private func waitForRuns(_ runs: inout [Run]) throws {
        for run in runs { try run.waitUntilWritten() }
        runs.removeAll()
    }

    private func fail(_ error: Error) {
        lock.lock()
        if firstError == nil { firstError = error }
        lock.unlock()
        control.requestStop()
    }

    private func register(_ claim: TrialClaim) {
        lock.lock()
        claims[claim.trial.number] = claim
        lock.unlock()
    }

    private func unregister(_ claim: TrialClaim) {
        lock.lock()
        if claims.removeValue(forKey: claim.trial.number) != nil { completedHere += 1 }
        lock.unlock()
    }

    private func currentClaims() -> [TrialClaim] {
        lock.lock()
        defer { lock.unlock() }
        return Array(claims.values)
    }

    private func reportProgress(since start: Date) {
        guard let onProgress, let trials = try? sweep.trials() else { return }
        let finished = trials.filter { $0.state == .finished || $0.state == .stopped }.count
        let failed = trials.filter { $0.state == .failed }.count
        let running = trials.filter { $0.state == .running }.count
        let total = try? sweep.plan.capacity()
        let elapsed = Date().timeIntervalSince(start)
        lock.lock()
        let done = completedHere
        lock.unlock()
        var remaining: TimeInterval?
        if let total, done > 0 {
            let left = Swift.max(total - finished - failed, 0)
            remaining = elapsed / Double(done) * Double(left)  // trials end `workers` at a time: elapsed/done already counts that
        }
        onProgress(SweepProgress(finished: finished, failed: failed, running: running, total: total,
                                 best: try? sweep.bestTrials(1).first, elapsed: elapsed, remaining: remaining))
    }
}
