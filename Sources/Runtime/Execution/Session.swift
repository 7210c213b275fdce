import Graph

/// Runs a graph: holds its variables (initialised from the graph's initial values) and compiles
/// what is fetched into executables, one per fetch/target set, each with a program per batch size.
///
/// ```swift
/// let session = try Session(graph: g)
/// let (y) = try session.run(feeds: [x: Tensor(shape: [4, 2], data)], fetch: [out])[0]
/// ```
public final class Session {
    /// The graph as built (the passes work on copies).
    public let graph: Graph
    public let options: CompileOptions
    let state = RunState()
    let storage: Storage
    private var executables: [[NodeID]: Executable] = [:]

    enum Storage {
        case float32(VariableStore<Float>)
        case float64(VariableStore<Double>)
    }

    /// Copies of the graph this session runs together (vectorized trials): each has its own
    /// variables and feeds, and every executable runs all of them in one program (see `Lowering`).
    public let trials: Int

    /// Verifies `graph` and creates storage for its variables: `trials` copies of each (every copy
    /// starting from the graph's initial values), 1 by default.
    public init(graph: Graph, options: CompileOptions = .all, trials: Int = 1) throws {
        do {
            try graph.verify()
        } catch let error as GraphError {
            throw RuntimeError.graph(error)
        }
        guard (1...Self.maximumTrials).contains(trials) else {
            throw RuntimeError.invalidFeed("a session runs 1 to \(Self.maximumTrials) trials together, not \(trials)")
        }
        self.graph = graph
        self.options = options
        self.trials = trials
        switch graph.dtype {
        case .float32: storage = .float32(VariableStore(graph: graph, trials: trials))
        case .float64: storage = .float64(VariableStore(graph: graph, trials: trials))
        }
    }

    /// The most trials one session runs together.
    public static let maximumTrials = 4096

    /// Checks a trial index (an error naming the range otherwise).
    func checkTrial(_ trial: Int) throws {
        guard (0..<trials).contains(trial) else {
            throw RuntimeError.invalidFeed("trial \(trial) asked for, but the session runs \(trials) trial(s) (0..<\(trials))")
        }
    }

    /// Number of runs so far; dropout masks and noise are seeded with it. Set it to replay a run.
    public var step: UInt64 {
        get { state.step }
        set { state.step = newValue }
    }

    /// Compiles the fetches and targets (assigns to carry out) into an executable.
    public func makeExecutable(fetch: [NodeID], targets: [NodeID] = []) throws -> Executable {
        try Executable(session: self, fetches: fetch, targets: targets)
    }

    /// Feeds `feeds`, runs, and returns the fetched values (the executable is cached per
    /// fetch/target set; this convenience path allocates — use `Executable` in hot loops).
    public func run(feeds: [NodeID: Tensor], fetch: [NodeID], targets: [NodeID] = []) throws -> [Tensor] {
        let key = fetch + [NodeID(-1)] + targets
        let executable: Executable
        if let cached = executables[key] {
            executable = cached
        } else {
            executable = try makeExecutable(fetch: fetch, targets: targets)
            executables[key] = executable
        }
        for (placeholder, tensor) in feeds.sorted(by: { $0.key < $1.key }) {
            if graph.contains(placeholder), case .placeholder(let shape) = graph[placeholder].op {
                try checkFeedShape(tensor, shape, graph[placeholder].name)
            }
            try executable.feed(placeholder, tensor.scalars)
        }
        try executable.run()
        return try (0..<fetch.count).map { try executable.output($0) }
    }

    private func checkFeedShape(_ tensor: Tensor, _ shape: Shape, _ name: String) throws {
        let matches = tensor.shape.count == shape.rank && zip(tensor.shape, shape.dims).allSatisfy { $1 == Shape.batch || $0 == $1 }
        guard matches else {
            throw RuntimeError.invalidFeed("placeholder \"\(name)\" has shape \(shape) but was fed a tensor of shape \(tensor.shape)")
        }
    }

    /// The current value of a variable (in trial `trial`).
    public func value(of variable: NodeID, trial: Int = 0) throws -> Tensor {
        let node = try variableNode(variable, trial: trial)
        switch storage {
        case .float32(let store):
            let entry = try Self.entry(store, node), p = entry.pointer(trial: trial)
            return Tensor(uncheckedShape: entry.shape, scalars: (0..<entry.count).map { Double(p[$0]) })
        case .float64(let store):
            let entry = try Self.entry(store, node)
            return Tensor(uncheckedShape: entry.shape, scalars: Array(UnsafeBufferPointer(start: entry.pointer(trial: trial), count: entry.count)))
        }
    }

    /// The current values of a variable (in trial `trial`) as `Float`s (converted from a Float64
    /// session), row-major, without going through a `Tensor`.
    public func floatValues(of variable: NodeID, trial: Int = 0) throws -> [Float] {
        try view(of: variable, trial: trial).copiedFloats
    }

    /// A view of a variable's values (in trial `trial`), looked up once: the cheap way to read the
    /// same variables again and again (logging weights every epoch). It keeps the session's storage alive.
    public func view(of variable: NodeID, trial: Int = 0) throws -> VariableView {
        let node = try variableNode(variable, trial: trial)
        switch storage {
        case .float32(let store):
            let entry = try Self.entry(store, node)
            return VariableView(owner: store, floats: UnsafePointer(entry.pointer(trial: trial)), doubles: nil, count: entry.count)
        case .float64(let store):
            let entry = try Self.entry(store, node)
            return VariableView(owner: store, floats: nil, doubles: UnsafePointer(entry.pointer(trial: trial)), count: entry.count)
        }
    }

    /// Overwrites a variable in trial `trial` (the tensor must have the variable's shape).
    public func setValue(_ tensor: Tensor, of variable: NodeID, trial: Int = 0) throws {
        let node = try variableNode(variable, trial: trial)
        guard tensor.shape == node.shape.dims else {
            throw RuntimeError.invalidFeed("variable \"\(node.name)\" has shape \(node.shape) but the value has shape \(tensor.shape)")
        }
        switch storage {
        case .float32(let store):
            let p = try Self.entry(store, node).pointer(trial: trial)
            for (i, v) in tensor.scalars.enumerated() { p[i] = Float(v) }
        case .float64(let store):
            let p = try Self.entry(store, node).pointer(trial: trial)
            for (i, v) in tensor.scalars.enumerated() { p[i] = v }
        }
    }

    /// Overwrites a one-element variable in trial `trial` without allocating (a learning rate, a step counter).
    public func setScalar(_ value: Double, of variable: NodeID, trial: Int = 0) throws {
        let node = try variableNode(variable, trial: trial)
        guard node.shape.elementCount == 1 else {
            throw RuntimeError.invalidFeed("variable \"\(node.name)\" has shape \(node.shape); setScalar needs a one-element variable")
        }
        switch storage {
        case .float32(let store): try Self.entry(store, node).pointer(trial: trial)[0] = Float(value)
        case .float64(let store): try Self.entry(store, node).pointer(trial: trial)[0] = value
        }
    }

    /// Reads a one-element variable in trial `trial` without allocating.
    public func scalar(of variable: NodeID, trial: Int = 0) throws -> Double {
        let node = try variableNode(variable, trial: trial)
        switch storage {
        case .float32(let store): return Double(try Self.entry(store, node).pointer(trial: trial)[0])
        case .float64(let store): return try Self.entry(store, node).pointer(trial: trial)[0]
        }
    }

    private static func entry<T>(_ store: VariableStore<T>, _ node: Node) throws -> VariableStore<T>.Entry {
        guard let entry = store.entries[node.name] else {
            throw RuntimeError.invalidFetch("variable \"\(node.name)\" has no storage in this session")
        }
        return entry
    }

    private func variableNode(_ id: NodeID, trial: Int) throws -> Node {
        try checkTrial(trial)
        return try variableNode(id)
    }

    private func variableNode(_ id: NodeID) throws -> Node {
        guard graph.contains(id) else { throw RuntimeError.invalidFetch(graph.whyNotContained(id)) }
        guard case .variable = graph[id].op else {
            throw RuntimeError.invalidFetch("\"\(graph[id].name)\" is a \(graph[id].op.kind.rawValue), not a variable of the session's graph")
        }
        return graph[id]
    }
}
