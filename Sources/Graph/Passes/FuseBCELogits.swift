/// `fuse-bce-logits`: binary cross-entropy on `sigmoid(z)` becomes the logits form on `z`
/// (`max(z,0) − z·y + ln(1 + e^−|z|)`), which neither saturates nor needs the 1e-7 clip; its
/// backward `sigmoid_grad(s, bce_grad(c, y, s))` becomes `c·(sigmoid(z) − y)/k`. Values agree
/// with the unfused graph wherever the clip is inactive (`|z|` below about 16 in Float64).
enum FuseBCELogits {
    static func run(_ unit: CompilationUnit) throws -> (CompilationUnit, Int) {
        let graph = unit.graph
        let rewriter = GraphRewriter(graph)
        /// The logits `z` when `id` is `sigmoid(z)`.
        func logits(of id: NodeID) -> NodeID? {
            if case .unary(.sigmoid) = graph[id].op { return graph[id].inputs[0] }
            return nil
        }
        for node in graph.nodes {
            switch node.op {
            case .loss(.binaryCrossEntropy):
                if let z = logits(of: node.inputs[1]) {
                    let id = try rewriter.add(.loss(.binaryCrossEntropyWithLogits), inputs: [rewriter[node.inputs[0]], rewriter[z]],
                                              name: node.name, role: node.role)
                    rewriter.replace(node.id, with: id)
                    rewriter.rewrites += 1
                    continue
                }
            case .binary(.sigmoidGradient):
                // sigmoid_grad(s, bce_grad(c, y, s)) with s = sigmoid(z)
                let s = node.inputs[0], upstream = graph[node.inputs[1]]
                if case .lossGradient(.binaryCrossEntropy) = upstream.op, upstream.inputs[2] == s, let z = logits(of: s) {
                    let id = try rewriter.add(.lossGradient(.binaryCrossEntropyWithLogits),
                                              inputs: [rewriter[upstream.inputs[0]], rewriter[upstream.inputs[1]], rewriter[z]],
                                              name: node.name, role: node.role)
                    rewriter.replace(node.id, with: id)
                    rewriter.rewrites += 1
                    continue
                }
            default:
                break
            }
            try rewriter.copy(node)
        }
        return (rewriter.finish(roots: unit.roots), rewriter.rewrites)
    }
}
