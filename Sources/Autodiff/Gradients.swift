import Graph

/// Errors of reverse-mode differentiation, naming the node and input on the offending path.
public enum AutodiffError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The value is not a scalar and no cotangent seed was given.
    case nonScalar(String)
    /// A path from a `wrt` node to the value runs through an input that has no derivative.
    case nonDifferentiable(String)
    /// A graph error while appending gradient nodes.
    case graph(GraphError)
    /// An argument that is not a node of the graph, or a seed of the wrong shape.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .nonScalar(let m): return "cannot differentiate: \(m)"
        case .nonDifferentiable(let m): return "not differentiable: \(m)"
        case .graph(let e): return e.description
        case .invalidArgument(let m): return "invalid argument: \(m)"
        }
    }
}

extension Graph {
    /// Reverse-mode differentiation: appends to this graph the nodes computing `∂value/∂x` for each
    /// `x` in `wrt`, and returns them (shaped like each `x`). With `seed`, computes the
    /// vector-Jacobian product `seedᵀ·∂value/∂x` instead (`seed` shaped like `value`); otherwise
    /// `value` must hold one element.
    ///
    /// Fan-out is accumulated by addition, broadcast operands get their cotangents summed back to
    /// their own shape, `stop_gradient` blocks, and a `wrt` the value does not depend on gets zeros.
    /// Gradient nodes are ordinary ops with role `.gradient`, so differentiating them again gives
    /// second derivatives (Hessian-vector products) wherever their ops are differentiable.
    public func gradients(of value: NodeID, wrt: [NodeID], seed: NodeID? = nil) throws -> [NodeID] {
        do {
            return try withRole(.gradient) {
                var builder = try GradientBuilder(graph: self, value: value, wrt: wrt, seed: seed)
                return try builder.build()
            }
        } catch let error as GraphError {
            throw AutodiffError.graph(error)
        }
    }
}

/// One differentiation: finds the nodes between `wrt` and `value`, walks them in reverse
/// topological order, and applies each node's VJP rule to its accumulated cotangents.
struct GradientBuilder {
    let graph: Graph
    let value: NodeID
    let wrt: [NodeID]
    let seed: NodeID?
    /// Cotangent contributions per node and output index, summed when the node is visited.
    private var pending: [Int: [Int: [NodeID]]] = [:]

    init(graph: Graph, value: NodeID, wrt: [NodeID], seed: NodeID?) throws {
        for id in [value] + wrt + [seed].compactMap({ $0 }) where !graph.contains(id) {
            throw AutodiffError.invalidArgument(graph.whyNotContained(id))
        }
        if let seed {
            guard graph[seed].shape == graph[value].shape else {
                throw AutodiffError.invalidArgument("the seed \"\(graph[seed].name)\" \(graph[seed].shape) must have the shape of \"\(graph[value].name)\" \(graph[value].shape)")
            }
        } else if graph[value].shape.elementCount != 1 {
            throw AutodiffError.nonScalar("\"\(graph[value].name)\" has shape \(graph[value].shape); differentiate a scalar (reduce it with sum or mean) or pass a seed of that shape")
        }
        self.graph = graph
        self.value = value
        self.wrt = wrt
        self.seed = seed
    }

    mutating func build() throws -> [NodeID] {
        let count = value.index + 1
        // Nodes the value depends on…
        var needed = [Bool](repeating: false, count: count)
        needed[value.index] = true
        for i in stride(from: value.index, through: 0, by: -1) where needed[i] {
            for input in graph[NodeID(i)].inputs { needed[input.index] = true }
        }
        // …that depend on some wrt node.
        var relevant = [Bool](repeating: false, count: count)
        for x in wrt where x.index < count { relevant[x.index] = needed[x.index] }
        for i in 0..<count where needed[i] && !relevant[i] {
            relevant[i] = graph[NodeID(i)].inputs.contains { relevant[$0.index] }
        }

        let start = try seed ?? graph.withNameScope("grad") { try onesLike(value) }
        add(start, to: value, output: 0)
        var results: [Int: NodeID] = [:]
        let wrtSet = Set(wrt.map(\.index))
        for i in stride(from: value.index, through: 0, by: -1) where relevant[i] {
            let node = graph[NodeID(i)]
            guard let contributions = pending.removeValue(forKey: i) else { continue }
            let cotangents = try graph.withNameScope("grad_\(node.name)") { () -> [NodeID?] in
                try (0..<node.op.outputCount).map { k in try contributions[k].map { try sum($0) } }
            }
            if wrtSet.contains(i), let total = cotangents[0] { results[i] = total }
            if case .output(let k) = node.op {
                if let c = cotangents[0] { add(c, to: node.inputs[0], output: k) }
                continue
            }
            let rule = VJPRule(graph: graph, node: node, relevant: node.inputs.map { relevant[$0.index] })
            let inputCotangents = try graph.withNameScope("grad_\(node.name)") { try rule.cotangents(cotangents) }
            for (input, cotangent) in zip(node.inputs, inputCotangents) {
                if let cotangent, relevant[input.index] { add(cotangent, to: input, output: 0) }
            }
        }
        return try wrt.map { x in
            if let g = results[x.index] { return g }
            return try graph.withNameScope("grad") { try zerosLike(x) }
        }
    }

    private mutating func add(_ cotangent: NodeID, to node: NodeID, output: Int) {
        pending[node.index, default: [:]][output, default: []].append(cotangent)
    }

    private func sum(_ terms: [NodeID]) throws -> NodeID {
        var total = terms[0]
        for term in terms.dropFirst() { total = try graph.add(total, term) }
        return total
    }

    private func onesLike(_ id: NodeID) throws -> NodeID {
        try graph.broadcast(try graph.scalar(1), to: graph[id].shape)
    }

    private func zerosLike(_ id: NodeID) throws -> NodeID {
        try graph.broadcast(try graph.scalar(0), to: graph[id].shape)
    }
}
