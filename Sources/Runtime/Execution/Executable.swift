import Graph

/// A compiled run of a session's graph: fixed fetches and targets, the passes applied once, and a
/// program per batch size (compiled the first time that batch size is fed, then reused).
///
/// The steady-state loop allocates nothing on the heap:
/// ```swift
/// let step = try session.makeExecutable(fetch: [loss], targets: updates)
/// try step.feed(x, batchX)      // UnsafeBufferPointer<Float>, copied into the feed buffer
/// try step.feed(y, batchY)
/// try step.run()
/// let value = try step.scalar(0)    // the first fetch
/// ```
public final class Executable {
    /// The fetched nodes (ids in the session's graph), in order.
    public let fetches: [NodeID]
    /// Nodes run for their effect (assigns), in order.
    public let targets: [NodeID]
    /// The graph after the passes, with the fetches then targets as roots.
    public let optimizedUnit: CompilationUnit
    /// What each pass did.
    public let passRecords: [PassRecord]

    private let session: Session
    private let engine: Engine
    /// The feed slot of each node of the session's graph (−1 for non-placeholders).
    private let slotOf: [Int]

    enum Engine {
        case float32(TypedExecutable<Float>)
        case float64(TypedExecutable<Double>)
    }

    init(session: Session, fetches: [NodeID], targets: [NodeID]) throws {
        let graph = session.graph
        for id in fetches + targets where !graph.contains(id) {
            throw RuntimeError.invalidFetch(graph.whyNotContained(id))
        }
        self.session = session
        self.fetches = fetches
        self.targets = targets
        let evaluator: ConstantEvaluator = graph.dtype == .float32 ? KernelConstantEvaluator<Float>() : KernelConstantEvaluator<Double>()
        do {
            (optimizedUnit, passRecords) = try PassCache.shared.unit(for: graph, roots: fetches + targets, passes: session.options.passes) {
                try PassPipeline.run(CompilationUnit(graph: graph, roots: fetches + targets), enabled: session.options.passes, evaluator: evaluator)
            }
        } catch let error as GraphError {
            throw RuntimeError.graph(error)
        }
        let placeholders = graph.placeholders.map { graph[$0] }
        var slots = [Int](repeating: -1, count: graph.count)
        for (i, p) in placeholders.enumerated() { slots[p.id.index] = i }
        slotOf = slots
        let planMemory = session.options.passes.contains(.planMemory)
        switch session.storage {
        case .float32(let store):
            engine = .float32(TypedExecutable(unit: optimizedUnit, placeholders: placeholders, planMemory: planMemory, variables: store, state: session.state))
        case .float64(let store):
            engine = .float64(TypedExecutable(unit: optimizedUnit, placeholders: placeholders, planMemory: planMemory, variables: store, state: session.state))
        }
    }

    private func slot(_ placeholder: NodeID) throws -> Int {
        guard session.graph.contains(placeholder), placeholder.index < slotOf.count, slotOf[placeholder.index] >= 0 else {
            let what = session.graph.contains(placeholder)
                ? "\"\(session.graph[placeholder].name)\" is a \(session.graph[placeholder].op.kind.rawValue), not a placeholder"
                : session.graph.whyNotContained(placeholder)
            throw RuntimeError.invalidFeed("\(what); only placeholders can be fed")
        }
        return slotOf[placeholder.index]
    }

    /// Feeds a placeholder from `Float` values (row-major; the batch size is the number of rows),
    /// for trial `trial` of a session running several (every trial of a run takes the same number of rows).
    public func feed(_ placeholder: NodeID, _ values: UnsafeBufferPointer<Float>, trial: Int = 0) throws {
        let slot = try slot(placeholder)
        switch engine {
        case .float32(let e):
            try e.feed(slot: slot, count: values.count, trial: trial) { target in values.baseAddress.map { target.update(from: $0, count: values.count) } }
        case .float64(let e):
            try e.feed(slot: slot, count: values.count, trial: trial) { for i in 0..<values.count { $0[i] = Double(values[i]) } }
        }
    }

    /// Feeds a placeholder from `Double` values (for trial `trial`).
    public func feed(_ placeholder: NodeID, _ values: UnsafeBufferPointer<Double>, trial: Int = 0) throws {
        let slot = try slot(placeholder)
        switch engine {
        case .float32(let e):
            try e.feed(slot: slot, count: values.count, trial: trial) { for i in 0..<values.count { $0[i] = Float(values[i]) } }
        case .float64(let e):
            try e.feed(slot: slot, count: values.count, trial: trial) { target in values.baseAddress.map { target.update(from: $0, count: values.count) } }
        }
    }

    /// Feeds a placeholder from an array of `Float` (for trial `trial`).
    public func feed(_ placeholder: NodeID, _ values: [Float], trial: Int = 0) throws {
        try values.withUnsafeBufferPointer { try feed(placeholder, $0, trial: trial) }
    }

    /// Feeds a placeholder from an array of `Double` (for trial `trial`).
    public func feed(_ placeholder: NodeID, _ values: [Double], trial: Int = 0) throws {
        try values.withUnsafeBufferPointer { try feed(placeholder, $0, trial: trial) }
    }

    /// Trials run together (the session's `trials`).
    public var trials: Int { session.trials }

    /// Runs the program for the fed batch size: fetched values become readable, assigns take effect,
    /// and the session's step counter (which seeds dropout and noise) advances by one.
    public func run() throws {
        switch engine {
        case .float32(let e): try e.run()
        case .float64(let e): try e.run()
        }
    }

    /// Runs like `run()` and adds each kernel's wall time to `profile` (one entry per kernel of the
    /// program for the fed batch size, in execution order; see `kernelSummaries(batchSize:)`).
    public func run(profile: inout [Double]) throws {
        switch engine {
        case .float32(let e): try withUnsafeMutablePointer(to: &profile) { try e.run(kernelSeconds: $0) }
        case .float64(let e): try withUnsafeMutablePointer(to: &profile) { try e.run(kernelSeconds: $0) }
        }
    }

    /// The number of fetched values.
    public var outputCount: Int { fetches.count }

    /// The first element of fetch `index` (in trial `trial`) after the last run (e.g. a scalar
    /// loss), as `Double`. Throws when `index` is not a fetch, the trial is not one of the
    /// session's, the executable has not run, or the value is empty.
    public func scalar(_ index: Int, trial: Int = 0) throws -> Double {
        switch engine {
        case .float32(let e): return Double(try Self.first(index, trial: trial, of: e.last))
        case .float64(let e): return try Self.first(index, trial: trial, of: e.last)
        }
    }

    /// The first element of fetch `index` of the last run (checked, without copying the output's shape).
    private static func first<T>(_ index: Int, trial: Int, of program: Program<T>?) throws -> T {
        guard let program else { throw RuntimeError.invalidFetch("run() has not completed yet") }
        let out = try output(index, trial: trial, of: program)
        guard out.count > 0 else {
            throw RuntimeError.invalidFetch("fetch \(index) is empty (shape \(out.shape)); it has no first element")
        }
        return out.pointer(trial: trial)[0]
    }

    private static func output<T>(_ index: Int, trial: Int, of program: Program<T>?) throws -> Program<T>.Output {
        guard let program else { throw RuntimeError.invalidFetch("run() has not completed yet") }
        guard program.outputs.indices.contains(index) else {
            throw RuntimeError.invalidFetch("fetch \(index) asked for, but the executable has \(program.outputs.count) (0..<\(program.outputs.count))")
        }
        guard trial >= 0, trial < program.trials else {
            throw RuntimeError.invalidFetch("trial \(trial) asked for, but the session runs \(program.trials) trial(s) (0..<\(program.trials))")
        }
        return program.outputs[index]
    }

    /// Fetch `index` (in trial `trial`) after the last run as a `Tensor` (allocates).
    public func output(_ index: Int, trial: Int = 0) throws -> Tensor {
        switch engine {
        case .float32(let e):
            let out = try Self.output(index, trial: trial, of: e.last), p = out.pointer(trial: trial)
            return Tensor(uncheckedShape: out.shape, scalars: (0..<out.count).map { Double(p[$0]) })
        case .float64(let e):
            let out = try Self.output(index, trial: trial, of: e.last)
            return Tensor(uncheckedShape: out.shape, scalars: Array(UnsafeBufferPointer(start: out.pointer(trial: trial), count: out.count)))
        }
    }

    /// Reads fetch `index` (in trial `trial`) of a `float32` graph without copying (valid until the next run).
    public func withOutput<R>(_ index: Int, trial: Int = 0, _ body: (UnsafeBufferPointer<Float>, [Int]) throws -> R) throws -> R {
        guard case .float32(let e) = engine else { throw RuntimeError.dtypeMismatch("the graph computes in float64; read it with withOutput(_:_:) taking Double") }
        let out = try Self.output(index, trial: trial, of: e.last)
        return try body(UnsafeBufferPointer(start: out.pointer(trial: trial), count: out.count), out.shape)
    }

    /// Reads fetches `indices` (in trial `trial`) of a `float32` graph without copying, in order:
    /// `body(i, values)` for each fetch `i` (one lookup for all, for reading many every epoch).
    public func withOutputs(_ indices: Range<Int>, trial: Int = 0, _ body: (Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        guard case .float32(let e) = engine else { throw RuntimeError.dtypeMismatch("the graph computes in float64; read it with withOutput(_:_:) taking Double") }
        guard let program = e.last else { throw RuntimeError.invalidFetch("run() has not completed yet") }
        let outputs = program.outputs
        guard indices.lowerBound >= 0, indices.upperBound <= outputs.count else {
            throw RuntimeError.invalidFetch("fetches \(indices) asked for, but the executable has \(outputs.count)")
        }
        guard trial >= 0, trial < program.trials else {
            throw RuntimeError.invalidFetch("trial \(trial) asked for, but the session runs \(program.trials) trial(s) (0..<\(program.trials))")
        }
        for i in indices { try body(i, UnsafeBufferPointer(start: outputs[i].pointer(trial: trial), count: outputs[i].count)) }
    }

    /// Reads fetch `index` (in trial `trial`) of a `float64` graph without copying (valid until the next run).
    public func withOutput<R>(_ index: Int, trial: Int = 0, _ body: (UnsafeBufferPointer<Double>, [Int]) throws -> R) throws -> R {
        guard case .float64(let e) = engine else { throw RuntimeError.dtypeMismatch("the graph computes in float32; read it with withOutput(_:_:) taking Float") }
        let out = try Self.output(index, trial: trial, of: e.last)
        return try body(UnsafeBufferPointer(start: out.pointer(trial: trial), count: out.count), out.shape)
    }

    /// The batch sizes a program has been compiled for (plans are cached by input shape).
    public var compiledBatchSizes: [Int] {
        switch engine {
        case .float32(let e): return e.compiledBatchSizes
        case .float64(let e): return e.compiledBatchSizes
        }
    }

    /// Kernel count and memory of the program for `batchSize` (compiling it if needed).
    public func statistics(batchSize: Int) throws -> CompileStatistics {
        switch engine {
        case .float32(let e): return try e.program(batchSize: batchSize).statistics
        case .float64(let e): return try e.program(batchSize: batchSize).statistics
        }
    }

    /// The compile report for `batchSize`: nodes and kernels before and after the passes, and the
    /// arena against one buffer per node.
    public func report(batchSize: Int) throws -> CompileReport {
        let plain = try Session(graph: session.graph, options: .none).makeExecutable(fetch: fetches, targets: targets)
        return CompileReport(nodesBefore: session.graph.count, nodesAfter: optimizedUnit.graph.count, passes: passRecords,
                             unoptimized: try plain.statistics(batchSize: batchSize), optimized: try statistics(batchSize: batchSize),
                             batchSize: batchSize)
    }
}
