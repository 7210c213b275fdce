/// `fuse-gemm-epilogue`: `activation(matmul(a, b) + bias)` (bias of shape `[n]`, or either part
/// missing) becomes one `gemm_epilogue` kernel: the output is pre-filled with the broadcast bias,
/// GEMM accumulates into it (beta = 1) and the activation runs over it in the same kernel. Each
/// absorbed node must have no other reader and must not be fetched.
enum FuseGemmEpilogue {
    /// Activations the epilogue applies (any deterministic unary op).
    static func isEpilogueActivation(_ op: UnaryOp) -> Bool { !op.isRandom && op.kind != .dropout && op.kind != .gaussianNoise }

    static func run(_ unit: CompilationUnit) throws -> CompilationUnit {
        let graph = unit.graph
        let consumers = graph.consumers()
        let roots = Set(unit.roots)
        func soleReader(_ id: NodeID) -> Node? {
            guard !roots.contains(id), consumers[id.index].count == 1 else { return nil }
            let reader = graph[consumers[id.index][0]]
            return reader.inputs.filter { $0 == id }.count == 1 ? reader : nil
        }
        // Plan the chains: the node that ends each one, with what it fuses.
        struct Chain { var matmul: Node; var bias: NodeID?; var activation: UnaryOp? }
        var chainEnding: [NodeID: Chain] = [:]
        var absorbed = Set<NodeID>()
        for node in graph.nodes {
            guard case .matmul = node.op else { continue }
            var chain = Chain(matmul: node, bias: nil, activation: nil)
            var end = node.id
            if let add = soleReader(node.id), case .binary(.add) = add.op {
                let other = add.inputs[0] == node.id ? add.inputs[1] : add.inputs[0]
                if graph[other].shape == Shape([node.shape[1]]), add.shape == node.shape {
                    chain.bias = other
                    absorbed.insert(end)
                    end = add.id
                }
            }
            if let activation = soleReader(end), case .unary(let op) = activation.op, isEpilogueActivation(op) {
                chain.activation = op
                absorbed.insert(end)
                end = activation.id
            }
            if end != node.id { chainEnding[end] = chain }
        }
        let rewriter = GraphRewriter(graph)
        for node in graph.nodes {
            if absorbed.contains(node.id) { continue }
            if let chain = chainEnding[node.id], case .matmul(let ta, let tb) = chain.matmul.op {
                let epilogue = GemmEpilogue(transposeA: ta, transposeB: tb, hasBias: chain.bias != nil, activation: chain.activation)
                let inputs = (chain.matmul.inputs + [chain.bias].compactMap { $0 }).map { rewriter[$0] }
                let id = try rewriter.add(.gemmEpilogue(epilogue), inputs: inputs, name: node.name, role: node.role)
                rewriter.replace(node.id, with: id)
                rewriter.rewrites += 1
                continue
            }
            try rewriter.copy(node)
        }
        return rewriter.finish(roots: unit.roots)
    }
}
