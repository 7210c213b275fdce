/// A define-and-run computation graph: nodes in topological order (every input precedes its
/// consumer), each with an op, inputs, inferred shapes, a dtype and a unique name.
///
/// Build it with the builder methods (`placeholder`, `variable`, `matmul`, `add`, `relu`,
/// `batchNormTraining`, `loss` …); each infers the output shape at once and throws a
/// `GraphError` naming both operands on a mismatch. Graphs never run anything: the Runtime
/// compiles them.
///
/// ```swift
/// let g = Graph()
/// let x = g.placeholder("x", [Shape.batch, 2])
/// let w = g.variable("w", [2, 1], initialValue: [0.5, -0.5])
/// let y = try g.sigmoid(g.matmul(x, w))
/// ```
public final class Graph {
    /// Nodes in topological order; `nodes[id.index]` is the node with that id.
    public private(set) var nodes: [Node] = []
    /// The dtype every node of this graph computes in.
    public let dtype: DType
    /// Initial values of variables (row-major), used by a session when it creates its storage.
    /// Variables without one start at zero.
    public var initialValues: [NodeID: [Double]] = [:]
    /// The role given to nodes created from now on (autodiff sets `.gradient`, optimizers `.update`).
    public var currentRole: NodeRole = .forward
    /// Prefix for generated names (`scope/op`), set with `withNameScope`.
    public private(set) var nameScope: String = ""

    private var nameIndex: [String: NodeID] = [:]
    private var nameCounters: [String: Int] = [:]

    /// A number telling this graph's ids from other graphs' (random, never 0).
    public let identity = UInt64.random(in: 1...UInt64.max)

    public init(dtype: DType = .float32) {
        self.dtype = dtype
    }

    public var count: Int { nodes.count }

    /// True when `id` names a node of this graph: in range, and not made by another graph.
    public func contains(_ id: NodeID) -> Bool {
        id.index >= 0 && id.index < nodes.count && (id.graph == 0 || id.graph == identity)
    }

    /// Why `id` is not a node of this graph, for an error message.
    public func whyNotContained(_ id: NodeID) -> String {
        id.graph != 0 && id.graph != identity
            ? "\(id) was made by another graph; pass ids made by this graph"
            : "\(id) is not a node of this graph (it has \(nodes.count) nodes)"
    }

    /// The node `id`, which must be a node of this graph (the compiler's and passes' fast path;
    /// outside the package, `node(_:)` checks).
    package subscript(id: NodeID) -> Node { nodes[id.index] }

    /// The node `id`; an id of another graph, or past the end, is `GraphError.unknownNode` saying which.
    public func node(_ id: NodeID) throws -> Node {
        guard contains(id) else { throw GraphError.unknownNode(whyNotContained(id)) }
        return nodes[id.index]
    }

    /// The node called `name`, if any.
    public func node(named name: String) -> Node? {
        nameIndex[name].map { nodes[$0.index] }
    }

    /// All node ids in topological order.
    public var ids: [NodeID] { nodes.map(\.id) }

    /// Runs `body` with `currentRole` set to `role`, then restores it.
    public func withRole<T>(_ role: NodeRole, _ body: () throws -> T) rethrows -> T {
        let saved = currentRole
        currentRole = role
        defer { currentRole = saved }
        return try body()
    }

    /// Runs `body` with generated names prefixed by `scope/` (nested scopes join with `/`).
    public func withNameScope<T>(_ scope: String, _ body: () throws -> T) rethrows -> T {
        let saved = nameScope
        nameScope = saved.isEmpty ? scope : "\(saved)/\(scope)"
        defer { nameScope = saved }
        return try body()
    }

    /// Appends a node: checks its inputs exist, infers its shapes (throwing on a mismatch) and
    /// gives it `name`, or a fresh name derived from the op (`matmul`, `matmul_1`, …).
    @discardableResult
    public func addNode(_ op: Op, inputs: [NodeID], name: String? = nil) throws -> NodeID {
        for input in inputs where !contains(input) {
            throw GraphError.unknownNode("\(op.kind.rawValue) refers to node \(input): \(whyNotContained(input))")
        }
        let finalName: String
        if let name {
            guard nameIndex[name] == nil else {
                throw GraphError.duplicateName("a node named \"\(name)\" already exists; choose another name or leave it out to get a fresh one")
            }
            finalName = name
        } else {
            finalName = freshName(nameScope.isEmpty ? op.kind.rawValue : "\(nameScope)/\(op.kind.rawValue)")
        }
        let inputNodes = inputs.map { nodes[$0.index] }
        let shapes = try ShapeInference.shapes(of: op, named: finalName, inputs: inputNodes)
        let id = NodeID(nodes.count, graph: identity)
        nodes.append(Node(id: id, name: finalName, op: op, inputs: inputs, shapes: shapes, dtype: dtype, role: currentRole))
        nameIndex[finalName] = id
        return id
    }

    /// A name not yet used, `base` itself first, then `base_1`, `base_2`, … (the Keras scheme).
    public func freshName(_ base: String) -> String {
        var counter = nameCounters[base, default: 0]
        var candidate = counter == 0 ? base : "\(base)_\(counter)"
        while nameIndex[candidate] != nil {
            counter += 1
            candidate = "\(base)_\(counter)"
        }
        nameCounters[base] = counter + 1
        return candidate
    }

    /// For each node, the nodes that read it, in topological order.
    public func consumers() -> [[NodeID]] {
        var result = [[NodeID]](repeating: [], count: nodes.count)
        for node in nodes {
            for input in node.inputs where !result[input.index].contains(node.id) {
                result[input.index].append(node.id)
            }
        }
        return result
    }

    /// The ids of all trainable variables, in order.
    public var trainableVariables: [NodeID] {
        nodes.filter { if case .variable(_, true) = $0.op { return true } else { return false } }.map(\.id)
    }

    /// The ids of all variables, in order.
    public var variables: [NodeID] {
        nodes.filter { if case .variable = $0.op { return true } else { return false } }.map(\.id)
    }

    /// The ids of all placeholders, in order.
    public var placeholders: [NodeID] {
        nodes.filter { if case .placeholder = $0.op { return true } else { return false } }.map(\.id)
    }

    /// Replaces a node's role (used by passes that copy nodes between graphs).
    func setRole(_ role: NodeRole, of id: NodeID) {
        nodes[id.index].role = role
    }
}

extension Graph {
    /// Overwrites a node's inputs without checks, so tests can show the verifier catching it.
    func corruptForTesting(node: NodeID, inputs: [NodeID]) {
        nodes[node.index].inputs = inputs
    }
}
