/// Errors raised while building, checking, transforming or loading a graph. Each message names
/// the node(s), the shapes or values involved, and what to do about it.
public enum GraphError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Input shapes an op cannot combine, e.g.
    /// `matmul "dense_1": "x" [?, 50] x "w" [40, 1] — inner dimensions 50 and 40 differ`.
    case shapeMismatch(String)
    /// An attribute or argument out of range (an axis, a rate, a permutation …).
    case invalidArgument(String)
    /// A name used twice.
    case duplicateName(String)
    /// A node id that is not in the graph.
    case unknownNode(String)
    /// The verifier found a broken invariant (cycle, dangling input, dtype disagreement …).
    case invalid(String)
    /// A graph file that cannot be read.
    case serialization(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let m): return "shape mismatch: \(m)"
        case .invalidArgument(let m): return "invalid argument: \(m)"
        case .duplicateName(let m): return "duplicate name: \(m)"
        case .unknownNode(let m): return "unknown node: \(m)"
        case .invalid(let m): return "invalid graph: \(m)"
        case .serialization(let m): return "cannot read graph: \(m)"
        }
    }
}
