/// Rebuilds a graph node by node into a fresh one, keeping names and roles, so a pass only
/// says what changes. Old ids map to new ids; variables keep their initial values.
final class GraphRewriter {
    let source: Graph
    let result: Graph
    private var map: [NodeID?]
    /// Number of nodes the pass rewrote, merged, folded, fused or removed (reported).
    var rewrites = 0

    init(_ source: Graph) {
        self.source = source
        self.result = Graph(dtype: source.dtype)
        self.map = [NodeID?](repeating: nil, count: source.count)
    }

    /// The new id of an old node (which must have been copied or replaced already).
    subscript(old: NodeID) -> NodeID {
        guard let new = map[old.index] else {
            preconditionFailure("internal invariant: \(source[old].name) is read before it was rewritten")
        }
        return new
    }

    func isMapped(_ old: NodeID) -> Bool { map[old.index] != nil }

    /// Copies `node` unchanged (inputs remapped).
    @discardableResult
    func copy(_ node: Node) throws -> NodeID {
        let id = try add(node.op, inputs: node.inputs.map { self[$0] }, name: node.name, role: node.role)
        map[node.id.index] = id
        if let initial = source.initialValues[node.id] { result.initialValues[id] = initial }
        return id
    }

    /// Adds a new node (inputs are new ids); `name` must be unused in the result.
    @discardableResult
    func add(_ op: Op, inputs: [NodeID], name: String, role: NodeRole) throws -> NodeID {
        let saved = result.currentRole
        result.currentRole = role
        defer { result.currentRole = saved }
        let unique = result.node(named: name) == nil ? name : result.freshName(name)
        return try result.addNode(op, inputs: inputs, name: unique)
    }

    /// Makes `old` stand for `new` from now on.
    func replace(_ old: NodeID, with new: NodeID) {
        map[old.index] = new
    }

    /// The rewritten unit, with roots remapped.
    func finish(roots: [NodeID]) -> CompilationUnit {
        CompilationUnit(graph: result, roots: roots.map { self[$0] })
    }
}

extension Graph {
    /// The scalar value if `id` is a constant whose elements are all equal.
    func uniformConstant(_ id: NodeID) -> Double? {
        guard case .constant(let c) = self[id].op, let first = c.values.first else { return nil }
        return c.values.allSatisfy({ $0 == first }) ? first : nil
    }
}

extension GraphRewriter {
    /// A pass that replaces single nodes: each node for which `replacement` gives an op and its
    /// inputs (ids of the original graph) becomes that op; every other node is copied. Returns the
    /// result and the number of replacements.
    static func replacingEach(_ unit: CompilationUnit, _ replacement: (Node, Graph) -> (Op, [NodeID])?) throws -> (CompilationUnit, Int) {
        let graph = unit.graph
        let rewriter = GraphRewriter(graph)
        for node in graph.nodes {
            if let (op, inputs) = replacement(node, graph) {
                let id = try rewriter.add(op, inputs: inputs.map { rewriter[$0] }, name: node.name, role: node.role)
                rewriter.replace(node.id, with: id)
                rewriter.rewrites += 1
            } else {
                try rewriter.copy(node)
            }
        }
        return (rewriter.finish(roots: unit.roots), rewriter.rewrites)
    }
}
