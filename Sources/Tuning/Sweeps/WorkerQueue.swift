import Foundation
import Tracking

/// One worker's claimed trials and ended trials, shared with the runner's monitor: a worker takes
/// its next trial from `unstarted` and leaves each result here; the monitor records results
/// that have waited (and, while a trial runs long, gives the unstarted claims back), so that a
/// batch of claims never holds finished results or other workers' trials behind a long trial.
final class WorkerQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var unstarted: [TrialClaim] = []
    private var results: [RunStore.TrialResult] = []
    /// The runs of each result (same order).
    private var runs: [[Run]] = []
    private var oldestResult: Date?
    private var runningSince: Date?
    private var claiming = false

    /// Whether this worker is claiming, holds unstarted claims or is training (so it may give
    /// claims back): another worker that found nothing to claim waits while one is busy.
    var isBusy: Bool {
        lock.lock()
        defer { lock.unlock() }
        return claiming || runningSince != nil || !unstarted.isEmpty
    }

    /// The worker is about to claim: it counts as busy until `fill` (its claims may be in the
    /// store's transaction but not here yet).
    func startClaiming() {
        lock.lock()
        claiming = true
        lock.unlock()
    }

    /// The next claimed trials (at most `count`), marked running; none when the batch is used up.
    func next(upTo count: Int) -> [TrialClaim] {
        lock.lock()
        defer { lock.unlock() }
        let taken = Array(unstarted.prefix(Swift.max(1, count)))
        guard !taken.isEmpty else { return [] }
        runningSince = Date()
        unstarted.removeFirst(taken.count)
        return taken
    }

    /// The claims of a batch (none when there was nothing to claim, or the claim failed).
    func fill(_ claims: [TrialClaim]) {
        lock.lock()
        unstarted = claims
        claiming = false
        lock.unlock()
    }

    /// A trial ended: its result, and its runs to be written before the result is recorded.
    func ended(_ result: RunStore.TrialResult, runs: [Run]) {
        lock.lock()
        results.append(result)
        self.runs.append(runs)
        if oldestResult == nil { oldestResult = Date() }
        runningSince = nil
        lock.unlock()
    }

    /// Every result, after waiting for its runs to be written.
    func takeAllResults() throws -> [RunStore.TrialResult] {
        lock.lock()
        let (taken, runs) = (results, self.runs)
        results = []
        self.runs = []
        oldestResult = nil
        lock.unlock()
        for run in runs.flatMap({ $0 }) { try run.waitUntilWritten() }
        return taken
    }

    /// The results whose runs are written already (recorded with the next claim, without
    /// waiting), taken out; the others stay for later.
    func takeWrittenResults() -> [RunStore.TrialResult] {
        lock.lock()
        defer { lock.unlock() }
        var taken: [RunStore.TrialResult] = [], kept: [RunStore.TrialResult] = [], keptRuns: [[Run]] = []
        for (result, runs) in zip(results, runs) {
            if runs.allSatisfy(\.isWritten) { taken.append(result) } else { kept.append(result); keptRuns.append(runs) }
        }
        (results, runs) = (kept, keptRuns)
        if results.isEmpty { oldestResult = nil }
        return taken
    }

    /// What the monitor should hand to the store now: results older than `resultAge` (the worker
    /// records its results itself when it claims, usually sooner), and — while the current trial
    /// has run longer than `runningAge` — the unstarted claims, to give back.
    func due(resultAge: TimeInterval, runningAge: TimeInterval) -> (results: [RunStore.TrialResult], runs: [Run], giveBack: [TrialClaim]) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        var giveBack: [TrialClaim] = []
        if let since = runningSince, now.timeIntervalSince(since) > runningAge {
            giveBack = unstarted
            unstarted = []
        }
        guard let oldest = oldestResult, now.timeIntervalSince(oldest) > resultAge || !giveBack.isEmpty else { return ([], [], giveBack) }
        let taken = (results, runs.flatMap { $0 }, giveBack)
        results = []
        runs = []
        oldestResult = nil
        return taken
    }

    /// Everything left when the worker stops: its results and unstarted claims.
    func drain() -> (results: [RunStore.TrialResult], runs: [Run], giveBack: [TrialClaim]) {
        lock.lock()
        defer { lock.unlock() }
        let taken = (results, runs.flatMap { $0 }, unstarted)
        results = []
        runs = []
        unstarted = []
        oldestResult = nil
        return taken
    }
}
