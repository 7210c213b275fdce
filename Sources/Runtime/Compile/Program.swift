import Foundation
import Graph

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Mutable state shared by every program of a session: the run counter that seeds dropout and
/// noise (incremented once per run, so a seeded session reproduces its masks run by run).
final class RunState: @unchecked Sendable {
    var step: UInt64 = 0
}

/// A graph compiled for one concrete batch size: a list of kernels with their buffers resolved to
/// fixed addresses in one arena (plus the session's variable storage, staging buffers for feeds
/// and a constant pool). `run()` replays the kernels and allocates nothing.
final class Program<T: TensorScalar> {
    struct Kernel {
        /// The node the kernel computes (for reports and errors).
        let name: String
        /// What it does, e.g. `sgemm 32x50x2`, `elementwise(add, relu) 1600`.
        let summary: String
        let body: () throws -> Void
    }

    /// A value the caller can read after a run: where it is (trial 0's copy) and its concrete shape.
    struct Output {
        let pointer: UnsafeMutablePointer<T>
        let shape: [Int]
        /// The element count, computed once (read on every fetch).
        let count: Int
        /// Elements from one trial's copy to the next (0: shared by all trials).
        let trialStride: Int

        init(pointer: UnsafeMutablePointer<T>, shape: [Int], trialStride: Int = 0) {
            self.pointer = pointer
            self.shape = shape
            self.trialStride = trialStride
            count = shape.reduce(1, *)
        }

        /// Trial `trial`'s copy.
        @inline(__always) func pointer(trial: Int) -> UnsafeMutablePointer<T> { pointer + trial * trialStride }
    }

    let batchSize: Int
    /// Copies of the graph trained together (see `Lowering`).
    let trials: Int
    let kernels: [Kernel]
    /// The kernel bodies, boxed once, referenced without retain/release in `run()`.
    private let boxes: [KernelBox]
    private let bodies: UnsafeMutableBufferPointer<Unmanaged<KernelBox>>
    let outputs: [Output]
    /// The placeholders this program reads (which must be fed before each run).
    let placeholders: [NodeID]
    let statistics: CompileStatistics
    private let ownedBuffers: [UnsafeMutableRawPointer]
    private let releases: [() -> Void]

    init(batchSize: Int, trials: Int = 1, kernels: [Kernel], outputs: [Output], placeholders: [NodeID], statistics: CompileStatistics,
         ownedBuffers: [UnsafeMutableRawPointer], releases: [() -> Void]) {
        self.batchSize = batchSize
        self.trials = trials
        self.kernels = kernels
        self.boxes = kernels.map { KernelBox($0.body) }
        self.bodies = .allocate(capacity: kernels.count)
        for (i, box) in boxes.enumerated() { bodies[i] = Unmanaged.passUnretained(box) }
        self.outputs = outputs
        self.placeholders = placeholders
        self.statistics = statistics
        self.ownedBuffers = ownedBuffers
        self.releases = releases
    }

    deinit {
        bodies.deallocate()
        for release in releases { release() }
        for buffer in ownedBuffers { buffer.deallocate() }
    }

    /// Runs every kernel in order.
    @inline(__always)
    func run() throws {
        for i in 0..<bodies.count {
            try bodies[i]._withUnsafeGuaranteedRef { try $0.body() }
        }
    }

    /// Runs every kernel in order, adding each one's wall time (seconds) to `seconds`.
    func runTimed(_ seconds: inout [Double]) throws {
        for (i, kernel) in kernels.enumerated() {
            let start = monotonicSeconds()
            try kernel.body()
            seconds[i] += monotonicSeconds() - start
        }
    }
}

/// A kernel body in a class, so the program can hold it by an unretained reference.
final class KernelBox {
    let body: () throws -> Void
    init(_ body: @escaping () throws -> Void) { self.body = body }
}

/// Sizes and counts of one compiled program, for the compile report and the benchmarks.
public struct CompileStatistics: Sendable, Equatable {
    /// Kernels executed per run.
    public var kernelCount: Int
    /// Bytes of the arena holding every intermediate value.
    public var arenaBytes: Int
    /// Bytes one buffer per value would take (no reuse).
    public var unplannedBytes: Int
    /// Values written in place over an input.
    public var inPlaceCount: Int
    /// Kernel summaries in execution order.
    public var kernelSummaries: [String]
}
