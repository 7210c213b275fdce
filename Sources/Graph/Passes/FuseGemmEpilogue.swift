/// `fuse-gemm-epilogue`: `activation(matmul(a, b) + bias)` (bias of shape `[n]`, or either part
/// missing) becomes one `gemm_epilogue` kernel: the output is pre-filled with the broadcast bias,
/// GEMM accumulates into it (beta = 1) and the activation runs over it in the same kernel. And
/// `β·C ± α·matmul(a, b)` (scalar constants, either factor optional — a momentum update, say)
/// becomes one `gemm_accumulate` kernel, GEMM's own `C = α·AB + β·C`. Each absorbed node must
/// have no other reader and must not be fetched.
enum FuseGemmEpilogue {
    /// Activations the epilogue applies (any deterministic unary op).
    static func isEpilogueActivation(_ op: UnaryOp) -> Bool { !op.isRandom && op.kind != .dropout && op.kind != .gaussianNoise }

    static func run(_ unit: CompilationUnit) throws -> (CompilationUnit, Int) {
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
        // Plan the accumulations: β·C ± α·matmul.
        var accumulations: [NodeID: (matmul: Node, c: NodeID, alpha: Double, beta: Double)] = [:]
        for node in graph.nodes {
            guard case .binary(let op) = node.op, op == .add || op == .sub, !absorbed.contains(node.id) else { continue }
            /// `(base, factor, the mul absorbed)` for a term `base·factor`, `factor·base` or `base`.
            func term(_ id: NodeID) -> (NodeID, Double, NodeID?) {
                if case .binary(.mul) = graph[id].op, soleReader(id)?.id == node.id {
                    let operands = graph[id].inputs
                    if graph[operands[1]].shape.rank == 0, let c = graph.uniformConstant(operands[1]) { return (operands[0], c, id) }
                    if graph[operands[0]].shape.rank == 0, let c = graph.uniformConstant(operands[0]) { return (operands[1], c, id) }
                }
                return (id, 1, nil)
            }
            let (x, fx, mx) = term(node.inputs[0]), (y, fy, my) = term(node.inputs[1])
            let sign: Double = op == .sub ? -1 : 1
            func isFusableMatmul(_ id: NodeID, via mul: NodeID?) -> Bool {
                guard case .matmul = graph[id].op, !absorbed.contains(id), graph[id].shape == node.shape else { return false }
                return soleReader(id)?.id == (mul ?? node.id)
            }
            var plan: (matmul: Node, c: NodeID, alpha: Double, beta: Double, absorbed: [NodeID?])?
            if isFusableMatmul(y, via: my), graph[x].shape == node.shape {
                plan = (graph[y], x, sign * fy, fx, [y, my, mx])
            } else if isFusableMatmul(x, via: mx), graph[y].shape == node.shape {
                plan = (graph[x], y, fx, sign * fy, [x, mx, my])
            }
            guard let plan else { continue }
            accumulations[node.id] = (plan.matmul, plan.c, plan.alpha, plan.beta)
            // The C side's own mul (β·C) is absorbed too; C itself stays.
            for id in plan.absorbed.compactMap({ $0 }) where id != plan.c { absorbed.insert(id) }
        }
        let rewriter = GraphRewriter(graph)
        for node in graph.nodes {
            if absorbed.contains(node.id) { continue }
            if let plan = accumulations[node.id], case .matmul(let ta, let tb) = plan.matmul.op {
                let op = Op.gemmAccumulate(GemmAccumulate(transposeA: ta, transposeB: tb, alpha: plan.alpha, beta: plan.beta))
                let inputs = (plan.matmul.inputs + [plan.c]).map { rewriter[$0] }
                rewriter.replace(node.id, with: try rewriter.add(op, inputs: inputs, name: node.name, role: node.role))
                rewriter.rewrites += 1
                continue
            }
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
        return (rewriter.finish(roots: unit.roots), rewriter.rewrites)
    }
}
