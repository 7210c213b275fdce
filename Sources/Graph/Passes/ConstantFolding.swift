/// `fold`: a node whose inputs are all constants becomes a constant, computed by the runtime's own
/// kernels (through a `ConstantEvaluator`) so folded and unfolded graphs agree exactly. Sources,
/// assigns, random ops in training, multi-output ops and results over `maximumElements` stay.
enum ConstantFolding {
    static let maximumElements = 1 << 16

    static func run(_ unit: CompilationUnit, evaluator: ConstantEvaluator) throws -> (CompilationUnit, Int) {
        let graph = unit.graph
        let rewriter = GraphRewriter(graph)
        for node in graph.nodes {
            let inputs = node.inputs.map { rewriter[$0] }
            let constants = inputs.compactMap { id -> ConstantValue? in
                if case .constant(let c) = rewriter.result[id].op { return c } else { return nil }
            }
            guard !node.inputs.isEmpty, constants.count == inputs.count, node.op.traits.isFoldable,
                  let count = node.shape.elementCount, count <= maximumElements,
                  let value = try evaluator.evaluate(node, inputs: constants) else {
                try rewriter.copy(node)
                continue
            }
            let id = try rewriter.add(.constant(value), inputs: [], name: node.name, role: node.role)
            rewriter.replace(node.id, with: id)
            rewriter.rewrites += 1
        }
        return (rewriter.finish(roots: unit.roots), rewriter.rewrites)
    }
}
