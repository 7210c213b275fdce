/// `fuse-batchnorm`: a training-mode batch norm becomes `fused_batch_norm` — two reduction passes
/// (mean, then variance around it) and one elementwise pass `y = x·scale + shift` with
/// `scale = γ/√(σ²+ε)` and `shift = β − μ·scale` folded per feature — and absorbs a following ReLU
/// that is its only reader. Its backward becomes `fused_batch_norm_grad`, one kernel that also
/// applies the ReLU mask `y > 0` when the cotangent is `g · (y > 0)` for that fused ReLU output,
/// and absorbs the backward of a ReLU before it, `dx · (x > 0)` for its input `x`, when that
/// product is the only reader of `dx`.
enum FuseBatchNorm {
    static func run(_ unit: CompilationUnit) throws -> (CompilationUnit, Int) {
        let graph = unit.graph
        let consumers = graph.consumers()
        let roots = Set(unit.roots)
        let rewriter = GraphRewriter(graph)
        /// ReLU nodes absorbed into a fused forward, by the batch-norm node they read.
        var fusedRelu: [NodeID: NodeID] = [:]
        /// Products `dx · (x > 0)` absorbed into a fused backward, by that backward.
        var absorbedProducts: [NodeID: NodeID] = [:]

        for node in graph.nodes {
            switch node.op {
            case .batchNormTraining(let config):
                let valueReaders = consumers[node.id.index].filter { graph[$0].op.kind != .output }
                var relu: NodeID?
                if valueReaders.count == 1, case .unary(.relu) = graph[valueReaders[0]].op, !roots.contains(node.id) {
                    relu = valueReaders[0]
                }
                let id = try rewriter.add(.batchNormTrainingFused(config, relu: relu != nil), inputs: node.inputs.map { rewriter[$0] },
                                          name: relu.map { graph[$0].name } ?? node.name, role: node.role)
                rewriter.replace(node.id, with: id)
                if let relu {
                    rewriter.replace(relu, with: id)
                    fusedRelu[node.id] = relu
                }
                rewriter.rewrites += 1
                continue
            case .unary(.relu) where rewriter.isMapped(node.id):
                continue  // absorbed into a fused batch norm above
            case .batchNormTrainingGradient(let config):
                var inputs = node.inputs.map { rewriter[$0] }
                var masks = BatchNormGradientMasks()
                if let (g, reluOutput) = reluMasked(node.inputs[0], graph),
                   let forward = forwardNode(of: node, graph), fusedRelu[forward] == reluOutput {
                    inputs[0] = rewriter[g]
                    inputs.append(rewriter[reluOutput])
                    masks.cotangent = true
                }
                if !roots.contains(node.id), let product = inputMaskProduct(of: node, graph, consumers) {
                    absorbedProducts[product] = node.id
                    masks.input = true
                }
                let id = try rewriter.add(.batchNormTrainingGradientFused(config, masks: masks), inputs: inputs, name: node.name, role: node.role)
                rewriter.replace(node.id, with: id)
                rewriter.rewrites += 1
                continue
            case .binary(.mul) where absorbedProducts[node.id] != nil:
                if let gradient = absorbedProducts[node.id] { rewriter.replace(node.id, with: rewriter[gradient]) }
                rewriter.rewrites += 1
                continue
            case .placeholder, .variable, .constant, .matmul, .unary, .binary, .softmax, .logSoftmax, .reduce,
                 .reshape, .transpose, .broadcast, .batchNormInference, .output, .loss, .lossGradient, .assign,
                 .applyUpdates, .stopGradient, .fusedElementwise, .gemmEpilogue, .gemmAccumulate, .batchNormTrainingFused,
                 .batchNormTrainingGradientFused:
                break  // copied below
            }
            try rewriter.copy(node)
        }
        return (rewriter.finish(roots: unit.roots), rewriter.rewrites)
    }

    /// `(g, y)` when `id` is `g · (y > 0)` (either operand order) for a ReLU output `y`.
    private static func reluMasked(_ id: NodeID, _ graph: Graph) -> (NodeID, NodeID)? {
        guard case .binary(.mul) = graph[id].op else { return nil }
        let operands = graph[id].inputs
        for (maskIndex, valueIndex) in [(1, 0), (0, 1)] {
            let mask = graph[operands[maskIndex]]
            if case .binary(.compare(.greater)) = mask.op, graph.uniformConstant(mask.inputs[1]) == 0,
               case .unary(.relu) = graph[mask.inputs[0]].op {
                return (operands[valueIndex], mask.inputs[0])
            }
        }
        return nil
    }

    /// The product `dx · (x > 0)` (either operand order) that is the only reader of the gradient's
    /// `dx`, with `x` the gradient's own input (the backward of a ReLU whose output `x` is).
    private static func inputMaskProduct(of gradient: Node, _ graph: Graph, _ consumers: [[NodeID]]) -> NodeID? {
        let valueReaders = consumers[gradient.id.index].filter { graph[$0].op.kind != .output }
        guard valueReaders.count == 1, case .binary(.mul) = graph[valueReaders[0]].op else { return nil }
        let product = graph[valueReaders[0]]
        for (maskIndex, valueIndex) in [(1, 0), (0, 1)] where product.inputs[valueIndex] == gradient.id {
            let mask = graph[product.inputs[maskIndex]]
            if case .binary(.compare(.greater)) = mask.op, mask.inputs[0] == gradient.inputs[1], graph.uniformConstant(mask.inputs[1]) == 0 {
                return product.id
            }
        }
        return nil
    }

    /// The training batch norm whose mean output the gradient reads.
    private static func forwardNode(of gradient: Node, _ graph: Graph) -> NodeID? {
        let mean = graph[gradient.inputs[2]]
        guard case .output(1) = mean.op, case .batchNormTraining = graph[mean.inputs[0]].op else { return nil }
        return mean.inputs[0]
    }
}
