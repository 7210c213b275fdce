import Testing
import Graph
import Runtime

/// Forward values of single ops against direct Swift computations (independent of the kernels).
struct ForwardTests {
    @Test func denseLayerMatchesHandComputation() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 2])
        let w = try g.variable("w", [2, 3], initialValue: [1, 2, 3, -1, 0.5, 2])
        let b = try g.variable("b", [3], initialValue: [0.1, -0.2, 0.3])
        let y = try g.relu(g.add(g.matmul(x, w), b))
        let session = try Session(graph: g)
        let input: [Double] = [1, 2, -3, 0.5]
        let out = try session.run(feeds: [x: Tensor(shape: [2, 2], input)], fetch: [y])[0]
        var expected: [Double] = []
        let wv: [Double] = [1, 2, 3, -1, 0.5, 2], bv: [Double] = [0.1, -0.2, 0.3]
        for r in 0..<2 {
            for c in 0..<3 {
                let v = input[r * 2] * wv[c] + input[r * 2 + 1] * wv[3 + c] + bv[c]
                expected.append(max(v, 0))
            }
        }
        #expect(out.shape == [2, 3])
        #expect(out.scalars == expected)
    }
}
