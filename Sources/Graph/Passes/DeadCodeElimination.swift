/// `dce`: keeps only the nodes the roots depend on.
enum DeadCodeElimination {
    static func run(_ unit: CompilationUnit) throws -> (CompilationUnit, Int) {
        let graph = unit.graph
        var live = [Bool](repeating: false, count: graph.count)
        var stack = unit.roots
        while let id = stack.popLast() {
            if live[id.index] { continue }
            live[id.index] = true
            stack.append(contentsOf: graph[id].inputs)
        }
        let rewriter = GraphRewriter(graph)
        for node in graph.nodes where live[node.id.index] { try rewriter.copy(node) }
        rewriter.rewrites = live.filter { !$0 }.count
        return (rewriter.finish(roots: unit.roots), rewriter.rewrites)
    }
}
