import Foundation
import Testing
import Models

struct LayerTests {
    @Test func densePredictsActivationOfAffineMap() throws {
        let model = Sequential(inputShape: [2]) { Dense(3, activation: .tanh) }
        let kernel: [Float] = [0.5, -1, 2, 0.25, 0.75, -0.5], bias: [Float] = [0.1, 0, -0.2]
        try model.setWeights(["dense/kernel": kernel, "dense/bias": bias])
        try model.compile(optimizer: SGD(), loss: .meanSquaredError)
        let x = try Matrix([[1, 2], [-1, 0.5]])
        let out = try model.predict(x: x)
        var expected: [Double] = []
        for r in 0..<2 {
            for j in 0..<3 {
                expected.append(Foundation.tanh(Double(try x[r, 0] * kernel[j] + x[r, 1] * kernel[3 + j] + bias[j])))
            }
        }
        #expect(out.rows == 2 && out.columns == 3)
        #expect(close(out.values, expected))
    }

    @Test func batchNormMovingStatisticsFollowKerasMomentum() throws {
        // One step on one batch: moving = moving·0.9 + batch·0.1, with the biased variance.
        let model = Sequential(inputShape: [2]) { BatchNormalization(momentum: 0.9, epsilon: 0.001) }
        try model.compile(optimizer: SGD(learningRate: 0), loss: .meanSquaredError)
        let rows: [[Float]] = [[1, 10], [2, 20], [4, 40], [5, 60]]
        try model.fit(x: Matrix(rows), y: Matrix(rows), batchSize: 4, epochs: 1, verbose: 0, evaluateTrainingSet: false)
        let w = try model.weights()
        for j in 0..<2 {
            let column = rows.map { Double($0[j]) }
            let mean = column.reduce(0, +) / 4
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
            #expect(close([w["batch_normalization/moving_mean"]![j]], [0.1 * mean]))
            #expect(close([w["batch_normalization/moving_variance"]![j]], [0.9 + 0.1 * variance]))
        }
        // Inference uses the moving statistics.
        let out = try model.predict(x: Matrix([[3, 30]]))
        let expected0 = (3 - Double(w["batch_normalization/moving_mean"]![0])) / (Double(w["batch_normalization/moving_variance"]![0]) + 0.001).squareRoot()
        #expect(close([try out[0, 0]], [expected0]))
    }

    @Test func frozenBatchNormRunsInInferenceModeAndStays() throws {
        let model = Sequential(inputShape: [2]) { BatchNormalization(trainable: false) }
        _ = try model.summary()
        #expect(model.parameterCounts == (8, 0, 8))
        try model.compile(optimizer: SGD(learningRate: 0.5), loss: .meanSquaredError)
        let before = try model.weights()
        try model.fit(x: Matrix([[1, 2], [3, 5]]), y: Matrix([[0, 0], [1, 1]]), batchSize: 2, epochs: 3, verbose: 0)
        #expect(try model.weights() == before)
    }

    @Test func dropoutAndNoiseOnlyActInTraining() throws {
        let model = Sequential(seed: 3, inputShape: [200]) {
            Dropout(0.5)
            GaussianNoise(1.0)
        }
        try model.compile(optimizer: SGD(learningRate: 0), loss: .meanSquaredError)
        let x = try Matrix(rows: 1, columns: 200, values: [Float](repeating: 1, count: 200))
        #expect(try model.predict(x: x).values == x.values)
        // In training the loss against the clean input is far from 0.
        let history = try model.fit(x: x, y: x, batchSize: 1, epochs: 1, verbose: 0)
        #expect(try history["loss"][0] > 0.5)
        #expect(try history["end_of_epoch_loss"][0] == 0)
    }

    @Test func weightRegularizationIsAddedToTheLoss() throws {
        let model = Sequential(inputShape: [2]) { Dense(1, useBias: false, kernelRegularizer: .l2(0.1)) }
        try model.setWeights(["dense/kernel": [2, -1]])
        try model.compile(optimizer: SGD(learningRate: 0), loss: .meanSquaredError)
        let logs = try model.evaluate(x: Matrix([[1, 1]]), y: Matrix(column: [0]))
        // (2 − 1 − 0)² + 0.1·(4 + 1)
        #expect(close([Float(logs["loss"]!)], [1 + 0.5]))
        let l1 = Sequential(inputShape: [2]) { Dense(1, useBias: false, kernelRegularizer: .l1l2(l1: 0.5, l2: 0)) }
        try l1.setWeights(["dense/kernel": [2, -1]])
        try l1.compile(optimizer: SGD(learningRate: 0), loss: .meanSquaredError)
        #expect(close([Float(try l1.evaluate(x: Matrix([[1, 1]]), y: Matrix(column: [0]))["loss"]!)], [1 + 1.5]))
    }

    @Test func activityRegularizationUsesTheBatchMean() throws {
        let model = Sequential(inputShape: [1]) { Dense(2, useBias: false, activityRegularizer: .l2(1)) }
        try model.setWeights(["dense/kernel": [1, 2]])
        try model.compile(optimizer: SGD(learningRate: 0), loss: .meanSquaredError)
        // Outputs (1, 2) and (3, 6): Σ y² / batch = (1 + 4 + 9 + 36) / 2 = 25; MSE vs 0 = 50 / 4.
        let history = try model.fit(x: Matrix([[1], [3]]), y: Matrix([[0, 0], [0, 0]]), batchSize: 2, epochs: 1, verbose: 0)
        #expect(Swift.abs(try history["loss"][0] - (12.5 + 25)) < 1e-4)
    }

    @Test func constraintsHoldAfterEveryStep() throws {
        let x = try Matrix([[3, -2, 1], [1, 4, -3]]), y = try Matrix([[5, -5], [2, 9]])
        for constraint in [Constraint.maxNorm(0.5), .unitNorm(), .nonNegative] {
            let model = Sequential(seed: 2, inputShape: [3]) { Dense(2, useBias: false, kernelConstraint: constraint) }
            try model.compile(optimizer: SGD(learningRate: 0.5), loss: .meanSquaredError)
            try model.fit(x: x, y: y, batchSize: 2, epochs: 3, verbose: 0)
            let kernel = try model.weights()["dense/kernel"]!  // [3, 2]: column j feeds unit j
            let norms = (0..<2).map { j in (0..<3).map { Double(kernel[$0 * 2 + j] * kernel[$0 * 2 + j]) }.reduce(0, +).squareRoot() }
            switch constraint {
            case .maxNorm: #expect(norms.allSatisfy { $0 <= 0.5 + 1e-5 }, "\(norms)")
            case .unitNorm: #expect(norms.allSatisfy { Swift.abs($0 - 1) < 1e-4 }, "\(norms)")
            case .nonNegative: #expect(kernel.allSatisfy { $0 >= 0 })
            }
        }
    }

    @Test func initializersAreSeededAndScaled() throws {
        func kernel(_ initializer: Initializer, seed: UInt64, inputs: Int = 100, units: Int = 50) throws -> [Float] {
            let model = Sequential(seed: seed, inputShape: [inputs]) { Dense(units, kernelInitializer: initializer) }
            return try model.weights()["dense/kernel"]!
        }
        let he = try kernel(.heUniform(), seed: 1)
        #expect(he == (try kernel(.heUniform(), seed: 1)))
        #expect(he != (try kernel(.heUniform(), seed: 2)))
        #expect(he.allSatisfy { Swift.abs($0) <= Float((6.0 / 100).squareRoot()) })
        #expect(he.map { Swift.abs($0) }.max()! > 0.9 * Float((6.0 / 100).squareRoot()))
        let glorot = try kernel(.glorotUniform(), seed: 1)
        #expect(glorot.allSatisfy { Swift.abs($0) <= Float((6.0 / 150).squareRoot()) })
        // Truncated normals stay within ±2σ and keep σ = √(2/fan_in) overall.
        let heNormal = try kernel(.heNormal(), seed: 5, inputs: 200, units: 100).map(Double.init)
        let sigma = (2.0 / 200).squareRoot()
        #expect(heNormal.allSatisfy { Swift.abs($0) <= 2 * sigma / 0.87962566103423978 })
        let std = (heNormal.map { $0 * $0 }.reduce(0, +) / Double(heNormal.count)).squareRoot()
        #expect(Swift.abs(std - sigma) / sigma < 0.05)
        #expect(try kernel(.zeros, seed: 1).allSatisfy { $0 == 0 })
        #expect(try kernel(.ones, seed: 1).allSatisfy { $0 == 1 })
        let explicit = try kernel(.randomUniform(min: 0, max: 1, seed: 9), seed: 1)
        #expect(explicit == (try kernel(.randomUniform(min: 0, max: 1, seed: 9), seed: 2)))
    }
}
