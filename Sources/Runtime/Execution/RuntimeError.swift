import Graph

/// Errors raised while compiling or running a graph. Messages name the node, the shapes or values
/// involved, and the fix.
public enum RuntimeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A feed that is missing, unknown, or of the wrong shape.
    case invalidFeed(String)
    /// A fetch or target that cannot be computed (unknown node, unfed placeholder …).
    case invalidFetch(String)
    /// A graph the runtime cannot compile (for example a variable assigned twice in one run).
    case compilation(String)
    /// A value that makes a kernel meaningless, e.g. a class label out of range.
    case invalidValue(String)
    /// A dtype mismatch between the graph and the caller's buffers.
    case dtypeMismatch(String)
    /// A graph error surfaced while compiling (shape inference on concrete shapes, a pass …).
    case graph(GraphError)

    public var description: String {
        switch self {
        case .invalidFeed(let m): return "invalid feed: \(m)"
        case .invalidFetch(let m): return "invalid fetch: \(m)"
        case .compilation(let m): return "cannot compile: \(m)"
        case .invalidValue(let m): return "invalid value: \(m)"
        case .dtypeMismatch(let m): return "dtype mismatch: \(m)"
        case .graph(let e): return e.description
        }
    }
}
