import Testing
@testable import Graph

struct ShapeInferenceTests {
    @Test func matmulMismatchNamesBothNodesAndShapes() throws {
        let g = Graph()
        let x = try g.placeholder("x", [Shape.batch, 50])
        let w = try g.variable("w", [40, 1])
        #expect {
            try g.matmul(x, w, name: "dense_1")
        } throws: { error in
            guard case GraphError.shapeMismatch(let message) = error else { return false }
            return message == "matmul \"dense_1\": \"x\" [?, 50] x \"w\" [40, 1] — inner dimensions 50 and 40 differ"
        }
    }

    @Test func matmulWithTransposeFlagsInfersProductShape() throws {
        let g = Graph()
        let a = try g.placeholder("a", [Shape.batch, 3])
        let b = try g.placeholder("b", [Shape.batch, 5])
        let c = try g.matmul(a, b, transposeA: true)
        #expect(g[c].shape == [3, 5])
        let d = try g.matmul(b, try g.variable("w", [4, 5]), transposeB: true)
        #expect(g[d].shape == [Shape.batch, 4])
    }

    @Test func broadcastingFollowsNumPy() throws {
        let g = Graph()
        let a = try g.placeholder("a", [Shape.batch, 1, 4])
        let b = try g.placeholder("b", [3, 1])
        #expect(g[try g.add(a, b)].shape == [Shape.batch, 3, 4])
        let s = try g.scalar(2)
        #expect(g[try g.mul(a, s)].shape == [Shape.batch, 1, 4])
    }

    @Test func incompatibleBroadcastIsAnErrorNamingTheAxis() throws {
        let g = Graph()
        let a = try g.placeholder("a", [Shape.batch, 50])
        let b = try g.variable("b", [40])
        #expect {
            try g.add(a, b, name: "sum")
        } throws: { error in
            guard case GraphError.shapeMismatch(let message) = error else { return false }
            return message.contains("\"a\" [?, 50]") && message.contains("\"b\" [40]") && message.contains("axis -1 has extents 50 and 40")
        }
    }

    @Test func batchDimensionDoesNotBroadcastAgainstAFixedExtent() throws {
        let g = Graph()
        let a = try g.placeholder("a", [Shape.batch, 2])
        let b = try g.variable("b", [3, 2])
        #expect(throws: GraphError.self) { try g.add(a, b) }
    }

    @Test func reductionsDropOrKeepAxes() throws {
        let g = Graph()
        let x = try g.placeholder("x", [Shape.batch, 3, 4])
        #expect(g[try g.sum(x, axes: [0])].shape == [3, 4])
        #expect(g[try g.mean(x, axes: [-1], keepDims: true)].shape == [Shape.batch, 3, 1])
        #expect(g[try g.max(x)].shape == .scalar)
        #expect(throws: GraphError.self) { try g.sum(x, axes: [3]) }
        #expect(throws: GraphError.self) { try g.sum(x, axes: [1, 1]) }
    }

    @Test func reshapeChecksElementCounts() throws {
        let g = Graph()
        let x = try g.placeholder("x", [Shape.batch, 3, 4])
        #expect(g[try g.reshape(x, [Shape.batch, 12])].shape == [Shape.batch, 12])
        #expect(throws: GraphError.self) { try g.reshape(x, [Shape.batch, 10]) }
        #expect(throws: GraphError.self) { try g.reshape(x, [36]) }
    }

    @Test func transposeMustKeepTheBatchLeading() throws {
        let g = Graph()
        let x = try g.placeholder("x", [Shape.batch, 3, 4])
        #expect(g[try g.transpose(x, [0, 2, 1])].shape == [Shape.batch, 4, 3])
        #expect(throws: GraphError.self) { try g.transpose(x, [1, 0, 2]) }
        #expect(throws: GraphError.self) { try g.transpose(x, [0, 1]) }
    }

    @Test func batchNormProducesOutputMeanAndVariance() throws {
        let g = Graph()
        let x = try g.placeholder("x", [Shape.batch, 5])
        let gamma = try g.variable("gamma", [5])
        let bn = try g.batchNormTraining(x, gamma: gamma, beta: nil)
        #expect(g[bn.output].shape == [Shape.batch, 5])
        #expect(g[bn.mean].shape == [5])
        #expect(g[bn.variance].shape == [5])
        #expect(throws: GraphError.self) { try g.batchNormTraining(x, gamma: try g.variable("bad", [4]), beta: nil) }
    }

    @Test func batchNormTrainingOnABatchOfOneIsAccepted() throws {
        // Keras normalizes a batch of one to β; the graph used to refuse it.
        let g = Graph()
        let bn = try g.batchNormTraining(try g.placeholder("x", [1, 5]), gamma: nil, beta: nil)
        #expect(g[bn.output].shape == [1, 5])
    }

    @Test func lossesCheckLabelShapes() throws {
        let g = Graph()
        let p = try g.placeholder("p", [Shape.batch, 3])
        let y = try g.placeholder("y", [Shape.batch, 3])
        let classes = try g.placeholder("classes", [Shape.batch])
        #expect(g[try g.loss(.meanSquaredError, labels: y, predictions: p, reduction: .none)].shape == [Shape.batch])
        #expect(g[try g.loss(.sparseSoftmaxCrossEntropy, labels: classes, predictions: p)].shape == .scalar)
        #expect(throws: GraphError.self) { try g.loss(.meanSquaredError, labels: classes, predictions: p) }
        #expect(throws: GraphError.self) { try g.loss(.sparseSoftmaxCrossEntropy, labels: y, predictions: p) }
    }

    @Test func assignNeedsAVariableOfTheSameShape() throws {
        let g = Graph()
        let v = try g.variable("v", [3])
        let x = try g.placeholder("x", [3])
        let wrong = try g.placeholder("wrong", [4])
        #expect(g[try g.assign(v, x)].shape == [3])
        #expect(throws: GraphError.self) { try g.assign(x, v) }
        #expect(throws: GraphError.self) { try g.assign(v, wrong) }
    }

    @Test func namesAreUniqueAndGeneratedKerasStyle() throws {
        let g = Graph()
        let x = try g.placeholder("x", [2])
        let a = try g.relu(x), b = try g.relu(x), c = try g.relu(x)
        #expect([g[a].name, g[b].name, g[c].name] == ["relu", "relu_1", "relu_2"])
        #expect(throws: GraphError.self) { try g.placeholder("x", [2]) }
        let scoped = try g.withNameScope("block") { try g.exp(x) }
        #expect(g[scoped].name == "block/exp")
    }

    @Test func invalidAttributesAreRejected() throws {
        let g = Graph()
        let x = try g.placeholder("x", [Shape.batch, 3])
        #expect(throws: GraphError.self) { try g.dropout(x, rate: 1, seed: 0) }
        #expect(throws: GraphError.self) { try g.clip(x, lower: 1, upper: 0) }
        #expect(throws: GraphError.self) { try g.softmax(x, axis: 2) }
        #expect(throws: GraphError.self) { try g.variable("v", [2, 2], initialValue: [1, 2, 3]) }
        #expect(throws: GraphError.self) { try g.variable("v2", [Shape.batch, 2]) }
    }
}
