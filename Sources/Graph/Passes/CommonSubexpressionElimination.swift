/// `cse`: a node with the same op and the same (already merged) inputs as an earlier one is
/// replaced by it. Sources other than constants and assigns are never merged. Random ops merge
/// too: their values are a pure function of seed, step and index, so equal nodes are equal.
enum CommonSubexpressionElimination {
    private struct Key: Hashable {
        let op: Op
        let inputs: [NodeID]
    }

    static func run(_ unit: CompilationUnit) throws -> (CompilationUnit, Int) {
        let rewriter = GraphRewriter(unit.graph)
        var seen: [Key: NodeID] = [:]
        for node in unit.graph.nodes {
            guard node.op.traits.isPure else {
                try rewriter.copy(node)
                continue
            }
            let key = Key(op: node.op, inputs: node.inputs.map { rewriter[$0] })
            if let existing = seen[key] {
                rewriter.replace(node.id, with: existing)
                rewriter.rewrites += 1
            } else {
                seen[key] = try rewriter.copy(node)
            }
        }
        return (rewriter.finish(roots: unit.roots), rewriter.rewrites)
    }
}
