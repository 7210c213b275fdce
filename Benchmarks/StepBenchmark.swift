import Graph
import Workloads
import Runtime

/// The figures of one training-step workload.
public struct StepFigures: Codable, Sendable {
    public var name: String
    public var batchSize: Int
    public var microsecondsPerStep: Double
    /// GEMM flops the step performs per second, in billions.
    public var gflops: Double
    /// PyTorch's "effective" GFLOPS (3 × forward flops per second), for side-by-side figures.
    public var effectiveGflops: Double
    /// Heap allocations per steady-state step (nil when the counter is not active).
    public var allocationsPerStep: Double?
    public var arenaBytes: Int
    public var unplannedBytes: Int
    public var kernels: Int
    public var kernelsUnoptimized: Int
}

/// Runs a `TrainingStepGraph` on random data: warm-up, then the median time per step over
/// repetitions, heap allocations per steady-state step, and the compile statistics.
public enum StepBenchmark {
    /// Counts the heap allocations `body` makes on the calling thread (nil when it cannot).
    public typealias AllocationCount = (_ body: () throws -> Void) throws -> Int?

    /// `countAllocations` is the allocation counter (the `temper-bench` executable links one; a
    /// library user gets nil figures by default — counting replaces `malloc` for the process).
    public static func run(_ workload: TrainingStepGraph, options: CompileOptions = .all, steps: Int, repetitions: Int = 5, seed: UInt64 = 7,
                           countAllocations: AllocationCount = { body in try body(); return nil }) throws -> StepFigures {
        let g = workload.graph
        let session = try Session(graph: g, options: options)
        let step = try session.makeExecutable(fetch: [workload.loss], targets: workload.updates)
        var random = SeededRandom(seed: seed)
        let inputCount = workload.batchSize * g[workload.input].shape.elementsPerBatchRow
        let labelCount = workload.batchSize * g[workload.labels].shape.elementsPerBatchRow
        let x = (0..<inputCount).map { _ in Float(random.normal()) }
        let classes = g[workload.labels].shape.rank == 1 ? 10 : 2
        let y = (0..<labelCount).map { _ in Float(Int(random.uniform() * Double(classes)) % classes) }
        return try x.withUnsafeBufferPointer { xs in
            try y.withUnsafeBufferPointer { ys in
                func once() throws {
                    try step.feed(workload.input, xs)
                    try step.feed(workload.labels, ys)
                    try step.run()
                }
                for _ in 0..<Swift.max(3, steps / 10) { try once() }
                let seconds = try Stopwatch.medianSecondsPerCall(repetitions: repetitions, iterations: steps, once)
                let allocations = try countAllocations { for _ in 0..<steps { try once() } }
                let statistics = try step.statistics(batchSize: workload.batchSize)
                let plain = try Session(graph: g, options: .none).makeExecutable(fetch: [workload.loss], targets: workload.updates)
                return StepFigures(name: workload.name, batchSize: workload.batchSize, microsecondsPerStep: seconds * 1e6,
                                      gflops: workload.gemms.reduce(0) { $0 + $1.flops } / seconds / 1e9,
                                      effectiveGflops: workload.effectiveFlopsPerStep / seconds / 1e9,
                                      allocationsPerStep: allocations.map { Double($0) / Double(steps) },
                                      arenaBytes: statistics.arenaBytes, unplannedBytes: statistics.unplannedBytes,
                                      kernels: statistics.kernelCount,
                                      kernelsUnoptimized: try plain.statistics(batchSize: workload.batchSize).kernelCount)
            }
        }
    }
}
