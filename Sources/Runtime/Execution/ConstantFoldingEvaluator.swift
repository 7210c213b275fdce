import Graph

/// Evaluates one node on constant inputs by compiling a one-node graph with the runtime's own
/// kernels, so `fold` computes exactly what the interpreter would.
struct KernelConstantEvaluator<T: TensorScalar>: ConstantEvaluator {
    func evaluate(_ node: Node, inputs: [ConstantValue]) throws -> ConstantValue? {
        let graph = Graph(dtype: T.dtype)
        let ids = try inputs.map { try graph.constant($0.values, shape: $0.shape) }
        let result = try graph.addNode(node.op, inputs: ids, name: "folded")
        let store = VariableStore<T>(graph: graph)
        let program = try Lowering<T>(graph: graph, roots: [result], placeholderBuffer: { node in
            throw RuntimeError.compilation("cannot fold \"\(node.name)\": it reads a placeholder")
        }, batchSize: 1, planMemory: false, variables: store, state: RunState()).lower()
        try program.run()
        let output = program.outputs[0]
        return ConstantValue(shape: Shape(output.shape), values: (0..<output.count).map { Double(output.pointer[$0]) })
    }
}
