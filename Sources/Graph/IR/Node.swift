/// A handle to a node of a graph: its position in the topological order. An id made by a graph
/// also carries that graph's identity, so that passing it to another graph is an error rather
/// than a silent reference to that graph's node at the same position; ids made from a bare
/// index (or decoded) carry none. Equality and hashing use the position only.
public struct NodeID: Hashable, Codable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int
    /// The identity of the graph that made it (`Graph.identity`), or 0.
    public let graph: UInt64
    public init(_ index: Int) { self.init(index, graph: 0) }
    init(_ index: Int, graph: UInt64) {
        self.index = index
        self.graph = graph
    }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.index < b.index }
    public static func == (a: NodeID, b: NodeID) -> Bool { a.index == b.index }
    public func hash(into hasher: inout Hasher) { hasher.combine(index) }
    public var description: String { "%\(index)" }

    public init(from decoder: Decoder) throws { self.init(try decoder.singleValueContainer().decode(Int.self)) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(index)
    }
}

/// What part of a training step a node belongs to; the DOT dump colours by it.
public enum NodeRole: String, Codable, Sendable {
    /// The model and its loss.
    case forward
    /// Appended by `gradients(of:wrt:)`.
    case gradient
    /// Parameter and statistics updates (optimizer steps, moving averages, assigns).
    case update
}

/// One operation in a graph: the op, its inputs (earlier nodes), the inferred shape of each
/// output, the dtype and a unique name.
public struct Node: Hashable, Codable, Sendable {
    public let id: NodeID
    public var name: String
    public var op: Op
    public var inputs: [NodeID]
    /// The shape of every output; `shapes[0]` is the node's own value.
    public var shapes: [Shape]
    public var dtype: DType
    public var role: NodeRole

    /// The shape of the node's (first) output.
    public var shape: Shape { shapes[0] }

    public init(id: NodeID, name: String, op: Op, inputs: [NodeID], shapes: [Shape], dtype: DType, role: NodeRole) {
        self.id = id
        self.name = name
        self.op = op
        self.inputs = inputs
        self.shapes = shapes
        self.dtype = dtype
        self.role = role
    }
}
