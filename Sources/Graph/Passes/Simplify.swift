/// `simplify`: local algebraic rewrites that never change a value —
/// `x+0`, `0+x`, `x−0`, `x·1`, `1·x`, `x/1` → `x`; `x·(−1)` → `−x`; `−(−x)` → `x`;
/// `x^1` → `x`, `x^2` → `square(x)`; inference-mode (or zero-rate) dropout and noise → `x`;
/// `stop_gradient(x)` → `x` (gradients are already built); identity reshapes, transposes and
/// broadcasts → `x`; reshape of reshape and transpose of transpose → one; and
/// `matmul(transpose(a), b)` → `matmul(a, b)` with the transpose flag flipped (no copy).
enum Simplify {
    static func run(_ unit: CompilationUnit) throws -> (CompilationUnit, Int) {
        let rewriter = GraphRewriter(unit.graph)
        for node in unit.graph.nodes {
            if let replacement = try rewrite(node, rewriter) {
                rewriter.replace(node.id, with: replacement)
                rewriter.rewrites += 1
            } else {
                try rewriter.copy(node)
            }
        }
        return (rewriter.finish(roots: unit.roots), rewriter.rewrites)
    }

    /// The replacement of `node` in the result graph, or nil to copy it.
    private static func rewrite(_ node: Node, _ r: GraphRewriter) throws -> NodeID? {
        guard !node.inputs.isEmpty else { return nil }
        let g = r.result
        let inputs = node.inputs.map { r[$0] }
        func sameShape(_ id: NodeID) -> Bool { g[id].shape == node.shape }
        func constant(_ id: NodeID) -> Double? { g.uniformConstant(id) }
        func add(_ op: Op, _ ins: [NodeID]) throws -> NodeID { try r.add(op, inputs: ins, name: node.name, role: node.role) }

        switch node.op {
        case .binary(.add):
            if constant(inputs[1]) == 0, sameShape(inputs[0]) { return inputs[0] }
            if constant(inputs[0]) == 0, sameShape(inputs[1]) { return inputs[1] }
        case .binary(.sub):
            if constant(inputs[1]) == 0, sameShape(inputs[0]) { return inputs[0] }
        case .binary(.mul):
            if constant(inputs[1]) == 1, sameShape(inputs[0]) { return inputs[0] }
            if constant(inputs[0]) == 1, sameShape(inputs[1]) { return inputs[1] }
            if constant(inputs[1]) == -1, sameShape(inputs[0]) { return try add(.unary(.neg), [inputs[0]]) }
            if constant(inputs[0]) == -1, sameShape(inputs[1]) { return try add(.unary(.neg), [inputs[1]]) }
        case .binary(.div):
            if constant(inputs[1]) == 1, sameShape(inputs[0]) { return inputs[0] }
        case .unary(.neg):
            if case .unary(.neg) = g[inputs[0]].op { return g[inputs[0]].inputs[0] }
        case .unary(.pow(let p)):
            if p == 1 { return inputs[0] }
            if p == 2 { return try add(.unary(.square), inputs) }
        case .unary(.dropout(let rate, _, let training)):
            if !training || rate == 0 { return inputs[0] }
        case .unary(.gaussianNoise(let stddev, _, let training)):
            if !training || stddev == 0 { return inputs[0] }
        case .stopGradient:
            return inputs[0]
        case .reshape(let target):
            if g[inputs[0]].shape == target { return inputs[0] }
            if case .reshape = g[inputs[0]].op {
                let inner = g[inputs[0]].inputs[0]
                return g[inner].shape == target ? inner : try add(.reshape(target), [inner])
            }
        case .broadcast(let target):
            if g[inputs[0]].shape == target { return inputs[0] }
        case .transpose(let permutation):
            if permutation == Array(permutation.indices) { return inputs[0] }
            if case .transpose(let first) = g[inputs[0]].op {
                let composed = permutation.map { first[$0] }
                let inner = g[inputs[0]].inputs[0]
                return composed == Array(composed.indices) ? inner : try add(.transpose(composed), [inner])
            }
        case .matmul(let ta, let tb):
            let (a, flipA) = untransposed(inputs[0], g)
            let (b, flipB) = untransposed(inputs[1], g)
            if flipA || flipB {
                return try add(.matmul(transposeA: ta != flipA, transposeB: tb != flipB), [a, b])
            }
        case .placeholder, .variable, .constant, .unary, .binary, .softmax, .logSoftmax, .reduce, .batchNormTraining,
             .batchNormInference, .batchNormTrainingGradient, .output, .loss, .lossGradient, .assign,
             .applyUpdates, .fusedElementwise, .gemmEpilogue, .gemmAccumulate, .batchNormTrainingFused,
             .batchNormTrainingGradientFused:
            break  // no rule for these
        }
        return nil
    }

    /// The source of a rank-2 `transpose([1, 0])`, or the node itself.
    private static func untransposed(_ id: NodeID, _ g: Graph) -> (NodeID, Bool) {
        if case .transpose([1, 0]) = g[id].op { return (g[id].inputs[0], true) }
        return (id, false)
    }
}
