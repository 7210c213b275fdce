import Foundation
import Testing
import Graph
import Autodiff
import Runtime

/// Evaluates nodes of a Float64 graph with the plain interpreter.
func evaluate(_ g: Graph, _ fetch: [NodeID], feeds: [NodeID: Tensor] = [:], options: CompileOptions = .none) throws -> [[Double]] {
    try Session(graph: g, options: options).run(feeds: feeds, fetch: fetch).map(\.scalars)
}

struct ConventionTests {
    /// d/dx at exactly the kinks: relu'(0) = 0, leaky'(0) = alpha, |x|'(0) = 0, clip' = 1 on the
    /// closed interval, max splits ties evenly.
    @Test func derivativesAtKinksArePinned() throws {
        let g = Graph(dtype: .float64)
        let x = try g.constant([0, 0, 0, -1, 1, 2], shape: [6], name: "x")
        let relu = try g.gradients(of: g.sum(g.relu(x)), wrt: [x])[0]
        let leaky = try g.gradients(of: g.sum(g.leakyRelu(x, alpha: 0.2)), wrt: [x])[0]
        let abs = try g.gradients(of: g.sum(g.abs(x)), wrt: [x])[0]
        let clip = try g.gradients(of: g.sum(g.clip(x, lower: -1, upper: 1)), wrt: [x])[0]
        let other = try g.constant([0, 1, -1, -1, 1, 3], shape: [6], name: "other")
        let maximum = try g.gradients(of: g.sum(g.maximum(x, other)), wrt: [x, other])
        let values = try evaluate(g, [relu, leaky, abs, clip] + maximum)
        #expect(values[0] == [0, 0, 0, 0, 1, 1])
        #expect(values[1] == [0.2, 0.2, 0.2, 0.2, 1, 1])
        #expect(values[2] == [0, 0, 0, -1, 1, 1])
        #expect(values[3] == [1, 1, 1, 1, 1, 0])
        #expect(values[4] == [0.5, 0, 1, 0.5, 0.5, 0])
        #expect(values[5] == [0.5, 1, 0, 0.5, 0.5, 1])
    }

    @Test func stopGradientBlocks() throws {
        let g = Graph(dtype: .float64)
        let x = try g.constant([3], shape: [1])
        let y = try g.sum(g.mul(x, g.stopGradient(x)))
        #expect(try evaluate(g, [try g.gradients(of: y, wrt: [x])[0]])[0] == [3])
    }

    @Test func fanOutAccumulates() throws {
        let g = Graph(dtype: .float64)
        let x = try g.constant([1.5, -2], shape: [2])
        let y = try g.sum(g.add(g.mul(x, x), g.add(x, g.exp(x))))
        let d = try g.gradients(of: y, wrt: [x])[0]
        let values = try evaluate(g, [d])[0]
        #expect(Swift.abs(values[0] - (3 + 1 + Foundation.exp(1.5))) < 1e-12)
        #expect(Swift.abs(values[1] - (-4 + 1 + Foundation.exp(-2))) < 1e-12)
    }

    @Test func broadcastGradientsAreSummedToTheSourceShape() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 3])
        let b = try g.variable("b", [3], initialValue: [0, 0, 0])
        let scale = try g.constant([2], shape: [1, 1])
        let y = try g.sum(g.mul(g.add(x, b), scale))
        let grads = try g.gradients(of: y, wrt: [b, scale])
        #expect(g[grads[0]].shape == [3])
        #expect(g[grads[1]].shape == [1, 1])
        let values = try evaluate(g, grads, feeds: [x: try Tensor(shape: [4, 3], (0..<12).map(Double.init))])
        #expect(values[0] == [8, 8, 8])
        #expect(values[1] == [66])
    }

    @Test func unusedInputsGetZeros() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 2])
        let unused = try g.variable("unused", [2, 2])
        let y = try g.sum(g.square(x))
        let d = try g.gradients(of: y, wrt: [unused])[0]
        #expect(try evaluate(g, [d], feeds: [x: try Tensor(shape: [1, 2], [1, 2])])[0] == [0, 0, 0, 0])
    }

    @Test func gradientNodesAreMarked() throws {
        let g = Graph()
        let x = try g.placeholder("x", [Shape.batch, 2])
        let y = try g.sum(g.tanh(x))
        let forward = g.count
        _ = try g.gradients(of: y, wrt: [x])
        #expect(g.count > forward)
        #expect(g.nodes[..<forward].allSatisfy { $0.role == .forward })
        #expect(g.nodes[forward...].allSatisfy { $0.role == .gradient })
    }

    @Test func seedGivesTheVectorJacobianProduct() throws {
        let g = Graph(dtype: .float64)
        let x = try g.constant([1, 2, 3], shape: [3])
        let seed = try g.constant([1, 10, 100], shape: [3])
        let d = try g.gradients(of: g.square(x), wrt: [x], seed: seed)[0]
        #expect(try evaluate(g, [d])[0] == [2, 40, 600])
    }
}

struct DifferentiabilityErrorTests {
    @Test func nonScalarNeedsASeed() throws {
        let g = Graph()
        let x = try g.placeholder("x", [Shape.batch, 2])
        #expect { try g.gradients(of: g.relu(x), wrt: [x]) } throws: { error in
            guard case AutodiffError.nonScalar(let m) = error else { return false }
            return m.contains("\"relu\" has shape [?, 2]")
        }
    }

    @Test func labelsOfALossAreNotDifferentiable() throws {
        let g = Graph()
        let p = try g.placeholder("p", [Shape.batch, 1])
        let y = try g.placeholder("y", [Shape.batch, 1])
        let loss = try g.loss(.meanSquaredError, labels: y, predictions: p, name: "loss")
        _ = try g.gradients(of: loss, wrt: [p])
        #expect { try g.gradients(of: loss, wrt: [y]) } throws: { error in
            guard case AutodiffError.nonDifferentiable(let m) = error else { return false }
            return m.contains("\"y\"") && m.contains("labels of mse")
        }
    }

    @Test func fusedGraphsCannotBeDifferentiatedAgain() throws {
        let g = Graph()
        let x = try g.placeholder("x", [Shape.batch, 4])
        let w = try g.variable("w", [4, 3])
        let b = try g.variable("b", [3])
        let y = try g.sum(g.relu(g.add(g.matmul(x, w), b)))
        let session = try Session(graph: g)
        let optimized = try session.makeExecutable(fetch: [y]).optimizedUnit
        let fused = optimized.graph
        let root = optimized.roots[0]
        #expect { try fused.gradients(of: root, wrt: [fused.node(named: "w")!.id]) } throws: { error in
            guard case AutodiffError.nonDifferentiable(let m) = error else { return false }
            return m.contains("made by a fusion pass")
        }
    }

    @Test func secondOrderThroughABatchNormGradientIsRefused() throws {
        let g = Graph()
        let x = try g.placeholder("x", [Shape.batch, 4])
        let loss = try g.sum(g.square(g.batchNormTraining(x, gamma: nil, beta: nil).output))
        let dx = try g.gradients(of: loss, wrt: [x])[0]
        #expect(throws: AutodiffError.self) { try g.gradients(of: g.sum(dx), wrt: [x]) }
    }
}
