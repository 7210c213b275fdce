extension Graph {
    /// `op(a)·op(b)` for rank-2 tensors; the transpose flags go to GEMM, no copy is made.
    public func matmul(_ a: NodeID, _ b: NodeID, transposeA: Bool = false, transposeB: Bool = false, name: String? = nil) throws -> NodeID {
        try addNode(.matmul(transposeA: transposeA, transposeB: transposeB), inputs: [a, b], name: name)
    }
    /// The same elements in `shape` (row-major order kept).
    public func reshape(_ x: NodeID, _ shape: Shape, name: String? = nil) throws -> NodeID {
        try addNode(.reshape(shape), inputs: [x], name: name)
    }
    /// Permutes axes: output axis `i` is input axis `permutation[i]` (default: reversed).
    public func transpose(_ x: NodeID, _ permutation: [Int]? = nil, name: String? = nil) throws -> NodeID {
        let permutation = permutation ?? Array((0..<self[x].shape.rank).reversed())
        return try addNode(.transpose(permutation), inputs: [x], name: name)
    }
    /// NumPy broadcast of `x` to `shape`.
    public func broadcast(_ x: NodeID, to shape: Shape, name: String? = nil) throws -> NodeID {
        try addNode(.broadcast(shape), inputs: [x], name: name)
    }
    /// Output `k` (from 1) of a multi-output node, e.g. the batch mean of `batchNormTraining`.
    public func output(_ k: Int, of node: NodeID, name: String? = nil) throws -> NodeID {
        try addNode(.output(k), inputs: [node], name: name ?? "\(self[node].name):\(k)")
    }
    /// `assign(variable, value)`: after the run the variable holds `value`. Fetch it (or pass it
    /// as a target) to make the update happen.
    public func assign(_ variable: NodeID, _ value: NodeID, name: String? = nil) throws -> NodeID {
        try addNode(.assign, inputs: [variable, value], name: name)
    }
    /// One optimizer step over several parameters in one kernel (`Op.applyUpdates`): `scalar` is
    /// the rule's learning rate (or Adam's α), each update a parameter variable, its gradient and
    /// its `rule.slotCount` slot variables. Pass the node as a target to make the updates happen.
    public func applyUpdates(_ rule: UpdateRule, scalar: NodeID, _ updates: [(parameter: NodeID, gradient: NodeID, slots: [NodeID])],
                             name: String? = nil) throws -> NodeID {
        let inputs = [scalar] + updates.flatMap { [$0.parameter, $0.gradient] + $0.slots }
        return try addNode(.applyUpdates(rule, parameters: updates.count), inputs: inputs, name: name)
    }
}
