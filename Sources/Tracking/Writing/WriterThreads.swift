import Foundation

/// The threads that run a tracker's run writers, kept for reuse: starting a thread costs the
/// training thread tens of microseconds (Foundation waits for it to start), as much as a short
/// run's logging. A thread idle for `idleTimeout` exits.
final class WriterThreads: @unchecked Sendable {

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var waiting = 0
    private var startedCount = 0
    /// How many threads were started.
    var started: Int {
        condition.lock()
        defer { condition.unlock() }
        return startedCount
    }
    private let idleTimeout: TimeInterval = 30

    /// Runs `job` on an idle writer thread, or on a new one when none is idle.
    func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        let spawn = waiting < jobs.count
        if spawn { startedCount += 1 } else { condition.signal() }
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in work() }
            thread.name = "temper-writer"
            thread.start()
        }
    }

    private func work() {
        condition.lock()
        while true {
            if !jobs.isEmpty {
                let job = jobs.removeFirst()
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            waiting += 1
            let signaled = condition.wait(until: Date(timeIntervalSinceNow: idleTimeout))
            waiting -= 1
            if !signaled && jobs.isEmpty {
                condition.unlock()
                return
            }
        }
    }
}
