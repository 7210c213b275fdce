import Testing
import Graph
@testable import Runtime

/// `PassCache` reuses the pass pipeline's result only for the same graph, roots and passes.
struct PassCacheTests {
    /// x·2 + c, with `c` a constant of the given value.
    private func graph(constant: Double) throws -> (Graph, NodeID) {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 2])
        let y = try g.add(g.mul(x, g.scalar(2)), g.scalar(constant), name: "y")
        return (g, y)
    }

    /// Looks `graph` up in `cache`, counting how often the passes really run.
    private func lookUp(_ cache: PassCache, _ graph: Graph, _ root: NodeID, passes: Set<PassName> = Set(PassName.allCases), runs: inout Int) throws -> CompilationUnit {
        try cache.unit(for: graph, roots: [root], passes: passes) {
            runs += 1
            return try PassPipeline.run(CompilationUnit(graph: graph, roots: [root]), enabled: passes, evaluator: KernelConstantEvaluator<Double>())
        }.0
    }

    @Test func identicalGraphsShareOnePassRunAndOthersDoNot() throws {
        let cache = PassCache(capacity: 8)
        var runs = 0
        let (a, rootA) = try graph(constant: 1)
        let (b, rootB) = try graph(constant: 1)
        let (c, rootC) = try graph(constant: 3)
        let first = try lookUp(cache, a, rootA, runs: &runs)
        let second = try lookUp(cache, b, rootB, runs: &runs)
        #expect(runs == 1)
        #expect(first.graph.nodes == second.graph.nodes)
        _ = try lookUp(cache, c, rootC, runs: &runs)  // another constant: another graph
        #expect(runs == 2)
        _ = try lookUp(cache, a, rootA, passes: [], runs: &runs)  // other passes
        #expect(runs == 3)
    }

    @Test func theLeastRecentlyUsedEntryIsDroppedPastCapacity() throws {
        let cache = PassCache(capacity: 2)
        var runs = 0
        let graphs = try [1.0, 2, 3].map { try graph(constant: $0) }
        _ = try lookUp(cache, graphs[0].0, graphs[0].1, runs: &runs)
        _ = try lookUp(cache, graphs[1].0, graphs[1].1, runs: &runs)
        _ = try lookUp(cache, graphs[0].0, graphs[0].1, runs: &runs)  // 0 is now the more recent
        _ = try lookUp(cache, graphs[2].0, graphs[2].1, runs: &runs)  // drops 1
        #expect(runs == 3)
        _ = try lookUp(cache, graphs[0].0, graphs[0].1, runs: &runs)
        #expect(runs == 3)
        _ = try lookUp(cache, graphs[1].0, graphs[1].1, runs: &runs)
        #expect(runs == 4)
    }
}
