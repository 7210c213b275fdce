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

/// `work` (which blocks) on a new thread, awaited without holding the caller's thread.
func onNewThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
