/// `fuse-elementwise`: an elementwise node whose only reader is an elementwise node of the same
/// output shape (and which is not fetched) is inlined into that reader. Each resulting group runs
/// as one `fused_elementwise` loop kernel; its program reads the group's external inputs (each
/// once) and keeps scalar constants inline, so no intermediate tensor is ever written.
enum FuseElementwise {
    static func run(_ unit: CompilationUnit) throws -> (CompilationUnit, Int) {
        let graph = unit.graph
        let consumers = graph.consumers()
        let roots = Set(unit.roots)
        // A node is absorbed into its sole reader when both are elementwise with the same shape.
        var absorbed = [Bool](repeating: false, count: graph.count)
        for node in graph.nodes where node.op.isElementwise && !roots.contains(node.id) {
            let readers = consumers[node.id.index]
            if readers.count == 1, graph[readers[0]].op.isElementwise, graph[readers[0]].shape == node.shape {
                absorbed[node.id.index] = true
            }
        }
        let rewriter = GraphRewriter(graph)
        for node in graph.nodes {
            if absorbed[node.id.index] { continue }
            let grouped = node.op.isElementwise && node.inputs.contains { absorbed[$0.index] }
            guard grouped else {
                try rewriter.copy(node)
                continue
            }
            var builder = ProgramBuilder(graph: graph, absorbed: absorbed, inlineConstants: true)
            _ = builder.emit(node.id)
            // Inlined constants must not have been what gave the result its rank or extents.
            let externalShapes = builder.externalInputs.map { graph[$0].shape }
            if externalShapes.isEmpty || externalShapes.dropFirst().reduce(externalShapes[0], {
                (try? Shape.broadcast($0, $1).get()) ?? $0
            }) != node.shape {
                builder = ProgramBuilder(graph: graph, absorbed: absorbed, inlineConstants: false)
                _ = builder.emit(node.id)
            }
            let program = ElementwiseProgram(instructions: builder.instructions, inputCount: builder.externalInputs.count)
            let id = try rewriter.add(.fusedElementwise(program), inputs: builder.externalInputs.map { rewriter[$0] },
                                      name: node.name, role: node.role)
            rewriter.replace(node.id, with: id)
            rewriter.rewrites += builder.fusedNodes
        }
        return (rewriter.finish(roots: unit.roots), rewriter.rewrites)
    }

    /// Emits the program of a group by walking from its last node through absorbed producers.
    private struct ProgramBuilder {
        let graph: Graph
        let absorbed: [Bool]
        let inlineConstants: Bool
        var instructions: [ElementwiseProgram.Instruction] = []
        var externalInputs: [NodeID] = []
        var registerOf: [NodeID: Int] = [:]
        var fusedNodes = 0

        init(graph: Graph, absorbed: [Bool], inlineConstants: Bool) {
            self.graph = graph
            self.absorbed = absorbed
            self.inlineConstants = inlineConstants
        }

        private mutating func append(_ instruction: ElementwiseProgram.Instruction) -> Int {
            instructions.append(instruction)
            return instructions.count - 1
        }

        /// The register holding `id`'s value, emitting whatever it needs first.
        mutating func emit(_ id: NodeID, isGroupRoot: Bool = true) -> Int {
            if let r = registerOf[id] { return r }
            let node = graph[id]
            let register: Int
            if (isGroupRoot || absorbed[id.index]) && node.op.isElementwise {
                fusedNodes += 1
                switch node.op {
                case .unary(let op):
                    let a = emit(node.inputs[0], isGroupRoot: false)
                    register = append(.unary(op, a))
                case .binary(let op):
                    let a = emit(node.inputs[0], isGroupRoot: false)
                    let b = emit(node.inputs[1], isGroupRoot: false)
                    register = append(.binary(op, a, b))
                case .fusedElementwise(let inner):
                    let operands = node.inputs.map { emit($0, isGroupRoot: false) }
                    var mapped: [Int] = []
                    for instruction in inner.instructions {
                        switch instruction {
                        case .input(let k): mapped.append(operands[k])
                        case .constant(let v): mapped.append(append(.constant(v)))
                        case .unary(let op, let a): mapped.append(append(.unary(op, mapped[a])))
                        case .binary(let op, let a, let b): mapped.append(append(.binary(op, mapped[a], mapped[b])))
                        }
                    }
                    register = mapped[mapped.count - 1]
                case .placeholder, .variable, .constant, .matmul, .softmax, .logSoftmax, .reduce, .reshape, .transpose,
                     .broadcast, .batchNormTraining, .batchNormInference, .batchNormTrainingGradient, .output, .loss,
                     .lossGradient, .assign, .applyUpdates, .stopGradient, .gemmEpilogue, .gemmAccumulate, .batchNormTrainingFused,
                     .batchNormTrainingGradientFused:
                    register = externalInput(id)
                }
            } else if inlineConstants, let value = scalarConstant(node) {
                register = append(.constant(value))
            } else {
                register = externalInput(id)
            }
            registerOf[id] = register
            return register
        }

        private mutating func externalInput(_ id: NodeID) -> Int {
            let k = externalInputs.count
            externalInputs.append(id)
            return append(.input(k))
        }

        private func scalarConstant(_ node: Node) -> Double? {
            guard case .constant(let c) = node.op, c.values.count == 1 else { return nil }
            return c.values[0]
        }
    }
}
