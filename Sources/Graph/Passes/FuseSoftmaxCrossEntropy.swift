/// `fuse-softmax-ce`: categorical cross-entropy on `softmax(z)` (over the last axis) becomes the
/// logits form `−Σ y·log_softmax(z)` on `z`, which needs no 1e-7 clip: a confidently wrong sample
/// gets its true loss and a gradient, where the clipped form gives 16.1 and exactly 0. The sparse
/// loss likewise. Its backward — autodiff's softmax VJP `s·(d − Σ d·s)` of
/// `d = cce_grad(c, y, s)` — becomes `c·(softmax(z)·Σy − y)`. Values agree with the unfused graph
/// wherever the clip is inactive (probabilities above 1e-7).
enum FuseSoftmaxCrossEntropy {
    /// The logits form of a cross-entropy on probabilities.
    static func logitsForm(of kind: LossKind) -> LossKind? {
        switch kind {
        case .categoricalCrossEntropy: return .softmaxCrossEntropy
        case .sparseCategoricalCrossEntropy: return .sparseSoftmaxCrossEntropy
        case .binaryCrossEntropy, .binaryCrossEntropyWithLogits, .softmaxCrossEntropy, .sparseSoftmaxCrossEntropy, .meanSquaredError,
             .meanAbsoluteError, .meanSquaredLogarithmicError, .hinge, .squaredHinge, .kullbackLeiblerDivergence:
            return nil
        }
    }

    static func run(_ unit: CompilationUnit) throws -> (CompilationUnit, Int) {
        try GraphRewriter.replacingEach(unit) { node, graph in forward(node, in: graph) ?? backward(node, in: graph) }
    }

    /// `loss(y, softmax(z))` → `loss_logits(y, z)`.
    private static func forward(_ node: Node, in graph: Graph) -> (Op, [NodeID])? {
        guard case .loss(let kind) = node.op, let fused = logitsForm(of: kind), let z = logits(of: node.inputs[1], in: graph) else { return nil }
        return (.loss(fused), [node.inputs[0], z])
    }

    /// `s·(d − Σ_last d·s)` with `d = loss_grad(c, y, s)`, `s = softmax(z)` → `loss_logits_grad(c, y, z)`.
    private static func backward(_ node: Node, in graph: Graph) -> (Op, [NodeID])? {
        guard case .binary(.mul) = node.op else { return nil }
        for (s, difference) in [(node.inputs[0], node.inputs[1]), (node.inputs[1], node.inputs[0])] {
            guard let z = logits(of: s, in: graph), case .binary(.sub) = graph[difference].op else { continue }
            let d = graph[difference].inputs[0], inner = graph[difference].inputs[1]
            guard case .lossGradient(let kind) = graph[d].op, let fused = logitsForm(of: kind), graph[d].inputs[2] == s,
                  isSoftmaxInner(inner, of: d, and: s, in: graph) else { continue }
            return (.lossGradient(fused), [graph[d].inputs[0], graph[d].inputs[1], z])
        }
        return nil
    }

    /// The logits `z` when `id` is `softmax(z)` over the last axis.
    private static func logits(of id: NodeID, in graph: Graph) -> NodeID? {
        guard case .softmax(let axis) = graph[id].op else { return nil }
        let rank = graph[id].shape.rank
        return axis == rank - 1 || axis == -1 ? graph[id].inputs[0] : nil
    }

    /// True when `inner` is `Σ_last(d·s)` with its axis kept.
    private static func isSoftmaxInner(_ inner: NodeID, of d: NodeID, and s: NodeID, in graph: Graph) -> Bool {
        guard case .reduce(.sum, let axes, keepDims: true) = graph[inner].op, case .softmax(let axis) = graph[s].op, axes == [axis] else { return false }
        let product = graph[graph[inner].inputs[0]]
        guard case .binary(.mul) = product.op else { return false }
        return Set(product.inputs) == [d, s]
    }
}
