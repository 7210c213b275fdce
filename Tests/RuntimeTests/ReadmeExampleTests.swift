import Foundation
import Testing
import Graph
import Autodiff
import Runtime
import ReadmeSupport

/// The README's ten-line example, with its result checked (the session is kept, to read `w`).
struct ReadmeExampleTests {
    static let substitutions = [
        "let out = try Session(graph: g).run(feeds: [x: try Tensor(shape: [2, 2], [1, 2, 3, 4]), y: try Tensor(shape: [2, 1], [1, 0])],":
            "let out = try session.run(feeds: [x: try Tensor(shape: [2, 2], [1, 2, 3, 4]), y: try Tensor(shape: [2, 1], [1, 0])],",
    ]

    @Test func thisTestHoldsTheReadmeExample() throws {
        let block = try ReadmeBlocks.block(startingWith: "import Graph, Autodiff, Runtime")
        #expect(try ReadmeBlocks.missingLines(of: block, in: #filePath, substitutions: Self.substitutions) == [])
        #expect(ReadmeBlocks.staleSubstitutions(Self.substitutions, of: block) == [])
    }

    @Test func readmeExampleRunsAndUpdatesTheWeights() throws {
        let g = Graph()                                              // Float32; Graph(dtype: .float64) for checks
        let x = try g.placeholder("x", [Shape.batch, 2])             // [?, 2]: the batch size is chosen per run
        let y = try g.placeholder("y", [Shape.batch, 1])
        let w = try g.variable("w", [2, 1], initialValue: [0.5, -0.5])
        let b = try g.variable("b", [1])
        let p = try g.sigmoid(g.add(g.matmul(x, w), b))
        let loss = try g.loss(.binaryCrossEntropy, labels: y, predictions: p)
        let grads = try g.gradients(of: loss, wrt: [w, b])          // appends the backward pass to g
        let step = try g.assign(w, g.sub(w, g.mul(grads[0], g.scalar(0.1))))
        let session = try Session(graph: g)
        let out = try session.run(feeds: [x: try Tensor(shape: [2, 2], [1, 2, 3, 4]), y: try Tensor(shape: [2, 1], [1, 0])],
                                  fetch: [loss], targets: [step])
        // z = (−0.5, −0.5): p = σ(−0.5) for both rows; BCE = mean(−ln p, −ln(1 − p)).
        let s = 1 / (1 + Foundation.exp(0.5))
        #expect(Swift.abs(out[0].scalars[0] - (-(Foundation.log(s) + Foundation.log(1 - s)) / 2)) < 1e-6)
        // ∂loss/∂w = Σ_rows (p − y)·x / 2 = ((s − 1)·(1, 2) + s·(3, 4)) / 2.
        let expected = [0.5 - 0.1 * ((s - 1) * 1 + s * 3) / 2, -0.5 - 0.1 * ((s - 1) * 2 + s * 4) / 2]
        #expect(assertClose(try session.value(of: w).scalars, expected, tolerance: 1e-6))
    }
}
