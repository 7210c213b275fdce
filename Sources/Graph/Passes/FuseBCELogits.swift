/// `fuse-bce-logits`: binary cross-entropy on `sigmoid(z)` becomes the logits form on `z`
/// (`max(z,0) − z·y + ln(1 + e^−|z|)`), which neither saturates nor needs the 1e-7 clip; its
/// backward `sigmoid_grad(s, bce_grad(c, y, s))` becomes `c·(sigmoid(z) − y)/k`. Values agree
/// with the unfused graph wherever the clip is inactive (`|z|` below about 16 in Float64).
enum FuseBCELogits {
    static func run(_ unit: CompilationUnit) throws -> (CompilationUnit, Int) {
        try GraphRewriter.replacingEach(unit) { node, graph in forward(node, in: graph) ?? backward(node, in: graph) }
    }

    /// `bce(y, sigmoid(z))` → `bce_logits(y, z)`.
    private static func forward(_ node: Node, in graph: Graph) -> (Op, [NodeID])? {
        guard case .loss(.binaryCrossEntropy) = node.op, let z = logits(of: node.inputs[1], in: graph) else { return nil }
        return (.loss(.binaryCrossEntropyWithLogits), [node.inputs[0], z])
    }

    /// `sigmoid_grad(s, bce_grad(c, y, s))` with `s = sigmoid(z)` → `bce_logits_grad(c, y, z)`.
    private static func backward(_ node: Node, in graph: Graph) -> (Op, [NodeID])? {
        guard case .binary(.sigmoidGradient) = node.op else { return nil }
        let s = node.inputs[0], upstream = graph[node.inputs[1]]
        guard case .lossGradient(.binaryCrossEntropy) = upstream.op, upstream.inputs[2] == s, let z = logits(of: s, in: graph) else { return nil }
        return (.lossGradient(.binaryCrossEntropyWithLogits), [upstream.inputs[0], upstream.inputs[1], z])
    }

    /// The logits `z` when `id` is `sigmoid(z)`.
    private static func logits(of id: NodeID, in graph: Graph) -> NodeID? {
        guard case .unary(.sigmoid) = graph[id].op else { return nil }
        return graph[id].inputs[0]
    }
}
