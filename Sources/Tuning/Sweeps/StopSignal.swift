import Foundation
import Tracking

/// Asks running work (a sweep, an experiment) to stop, from another thread (a signal watcher).
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var handlers: [@Sendable () -> Void] = []

    public init() {}

    public var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    /// Stops: every registered handler is called once.
    public func stop() {
        lock.lock()
        stopped = true
        let called = handlers
        handlers = []
        lock.unlock()
        for handler in called { handler() }
    }

    /// Calls `handler` on `stop()` (at once when already stopped).
    public func onStop(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        guard !stopped else {
            lock.unlock()
            handler()
            return
        }
        handlers.append(handler)
        lock.unlock()
    }
}


extension SweepRunner {
    /// Runs the sweep's trials here until none is left, then waits for trials other processes are
    /// running (taking over any whose process died), so that what follows reads a complete sweep;
    /// `stop` ends it early (running trials end at their next epoch and are kept to run again).
    public static func runToCompletion(_ sweep: Sweep, tracker: Tracker, executor: any TrialExecutor, workers: Int = 1, stop: StopSignal,
                                       onTrialEnd: (@Sendable (TrialInfo) -> Void)? = nil, onWaiting: () -> Void = {}) throws {
        var waiting = false
        while !stop.isStopped {
            let runner = try SweepRunner(sweep: sweep, tracker: tracker, executor: executor, workers: workers)
            runner.onTrialEnd = onTrialEnd
            stop.onStop { runner.stop() }
            try runner.run()
            guard !stop.isStopped, try tracker.store.hasOpenTrials(sweep.info.id) else { return }
            if !waiting { onWaiting() }
            waiting = true
            Thread.sleep(forTimeInterval: 1)
        }
    }
}
