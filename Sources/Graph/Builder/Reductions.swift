extension Graph {
    /// Sum, mean or max over `axes` (all axes when `nil`); `keepDims` keeps reduced axes as 1.
    public func reduce(_ op: ReduceOp, _ x: NodeID, axes: [Int]? = nil, keepDims: Bool = false, name: String? = nil) throws -> NodeID {
        let axes = axes ?? Array(0..<self[x].shape.rank)
        return try addNode(.reduce(op, axes: axes, keepDims: keepDims), inputs: [x], name: name)
    }
    /// `Σ x` over `axes` (all when `nil`).
    public func sum(_ x: NodeID, axes: [Int]? = nil, keepDims: Bool = false, name: String? = nil) throws -> NodeID {
        try reduce(.sum, x, axes: axes, keepDims: keepDims, name: name)
    }
    /// Mean over `axes` (all when `nil`).
    public func mean(_ x: NodeID, axes: [Int]? = nil, keepDims: Bool = false, name: String? = nil) throws -> NodeID {
        try reduce(.mean, x, axes: axes, keepDims: keepDims, name: name)
    }
    /// Max over `axes` (all when `nil`).
    public func max(_ x: NodeID, axes: [Int]? = nil, keepDims: Bool = false, name: String? = nil) throws -> NodeID {
        try reduce(.max, x, axes: axes, keepDims: keepDims, name: name)
    }
}
