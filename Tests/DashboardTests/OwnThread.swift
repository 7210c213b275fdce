import Foundation

/// Runs a test's tasks one at a time on a serial queue of their own, whose thread is not one of
/// Swift's shared pool. Other suites'
/// CPU-bound tests hold the shared threads (two on a two-core machine) for minutes at a time, and
/// a server inside the test process must still answer a browser meanwhile: the test body, the
/// server's connection tasks and the test client are structured children, so they all run here.
final class OwnThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = DispatchQueue(label: "temper.tests.own-thread")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}

/// `body` with its tasks on an `OwnThreadExecutor`.
func onOwnThread<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
    try await withTaskExecutorPreference(OwnThreadExecutor()) { try await body() }
}

/// `work` (which blocks) on one of a few threads that live as long as the test process, awaited
/// without holding the caller's thread. Start child processes here too: `Process.run()` puts a
/// source for the child on the calling thread's run loop, and a thread that ends while a child it
/// started is still registered there crashes in Foundation's run-loop finalizer (seen as signal
/// 11 in `__CFFinalizeRunLoop`, on a dispatch thread that had started a curl).
func onNewThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        BlockingThreads.shared.run { continuation.resume(with: Result { try work() }) }
    }
}

/// Threads that never end, taking blocking jobs in order.
final class BlockingThreads: @unchecked Sendable {
    static let shared = BlockingThreads(count: 16)
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    private init(count: Int) {
        for _ in 0..<count {
            let thread = Thread { [self] in
                while true { next()() }
            }
            thread.start()
        }
    }

    func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func next() -> @Sendable () -> Void {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty { condition.wait() }
        return jobs.removeFirst()
    }
}
