import Foundation
import Testing
import Models

/// Each optimizer trains a one-unit linear model with MSE on one full batch per epoch; its weights
/// must follow the Keras formulas, computed here independently in Double.
struct OptimizerTests {
    static let x: [[Double]] = [[1, 2], [3, -1], [0.5, 0.5], [-1, 2]]
    static let y: [Double] = [1, 0, 2, -1]
    static let start: [Double] = [0.3, -0.2]

    /// ∂/∂w of mean((x·w − y)²).
    static func gradient(_ w: [Double]) -> [Double] {
        var g = [0.0, 0.0]
        for (row, target) in zip(x, y) {
            let error = row[0] * w[0] + row[1] * w[1] - target
            for j in 0..<2 { g[j] += 2 * row[j] * error / Double(x.count) }
        }
        return g
    }

    func train(_ optimizer: Optimizer, epochs: Int) throws -> [Float] {
        let model = Sequential(inputShape: [2]) { Dense(1, useBias: false) }
        try model.setWeights(["dense/kernel": Self.start.map(Float.init)])
        try model.compile(optimizer: optimizer, loss: .meanSquaredError)
        try model.fit(x: Matrix(Self.x.map { $0.map(Float.init) }), y: Matrix(column: Self.y.map(Float.init)), batchSize: 4, epochs: epochs,
                      shuffle: false, verbose: 0, evaluateTrainingSet: false)
        return try model.weights()["dense/kernel"]!
    }

    @Test func plainSGD() throws {
        var w = Self.start
        for _ in 0..<3 { let g = Self.gradient(w); for j in 0..<2 { w[j] -= 0.1 * g[j] } }
        #expect(close(try train(SGD(learningRate: 0.1), epochs: 3), w))
    }

    @Test func sgdWithMomentumAndNesterov() throws {
        for nesterov in [false, true] {
            var w = Self.start, v = [0.0, 0.0]
            for _ in 0..<4 {
                let g = Self.gradient(w)
                for j in 0..<2 {
                    v[j] = 0.9 * v[j] - 0.05 * g[j]
                    w[j] += nesterov ? 0.9 * v[j] - 0.05 * g[j] : v[j]
                }
            }
            #expect(close(try train(SGD(learningRate: 0.05, momentum: 0.9, nesterov: nesterov), epochs: 4), w), "nesterov \(nesterov)")
        }
    }

    @Test func rmspropPlainCenteredAndWithMomentum() throws {
        for (centered, momentum) in [(false, 0.0), (true, 0.0), (false, 0.5), (true, 0.3)] {
            var w = Self.start, v = [0.0, 0.0], mg = [0.0, 0.0], mom = [0.0, 0.0]
            for _ in 0..<3 {
                let g = Self.gradient(w)
                for j in 0..<2 {
                    v[j] = 0.9 * v[j] + 0.1 * g[j] * g[j]
                    var denominator = v[j]
                    if centered {
                        mg[j] = 0.9 * mg[j] + 0.1 * g[j]
                        denominator -= mg[j] * mg[j]
                    }
                    let increment = 0.01 * g[j] / (denominator + 1e-7).squareRoot()
                    if momentum > 0 {
                        mom[j] = momentum * mom[j] + increment
                        w[j] -= mom[j]
                    } else {
                        w[j] -= increment
                    }
                }
            }
            #expect(close(try train(RMSprop(learningRate: 0.01, momentum: momentum, centered: centered), epochs: 3), w, tolerance: 1e-4),
                    "centered \(centered) momentum \(momentum)")
        }
    }

    @Test func adamAndAMSGrad() throws {
        for amsgrad in [false, true] {
            var w = Self.start, m = [0.0, 0.0], v = [0.0, 0.0], vHat = [0.0, 0.0]
            for t in 1...5 {
                let g = Self.gradient(w)
                let alpha = 0.02 * (1 - pow(0.999, Double(t))).squareRoot() / (1 - pow(0.9, Double(t)))
                for j in 0..<2 {
                    m[j] += (g[j] - m[j]) * 0.1
                    v[j] += (g[j] * g[j] - v[j]) * 0.001
                    vHat[j] = Swift.max(vHat[j], v[j])
                    w[j] -= alpha * m[j] / ((amsgrad ? vHat[j] : v[j]).squareRoot() + 1e-7)
                }
            }
            #expect(close(try train(Adam(learningRate: 0.02, amsgrad: amsgrad), epochs: 5), w, tolerance: 1e-4), "amsgrad \(amsgrad)")
        }
    }

    @Test func adagrad() throws {
        var w = Self.start, a = [0.1, 0.1]
        for _ in 0..<3 {
            let g = Self.gradient(w)
            for j in 0..<2 {
                a[j] += g[j] * g[j]
                w[j] -= 0.05 * g[j] / (a[j] + 1e-7).squareRoot()
            }
        }
        #expect(close(try train(Adagrad(learningRate: 0.05), epochs: 3), w, tolerance: 1e-4))
    }

    @Test func gradientClipping() throws {
        let g = Self.gradient(Self.start)
        let norm = (g[0] * g[0] + g[1] * g[1]).squareRoot()
        #expect(norm > 0.5)
        // By value: each component to [−0.1, 0.1].
        let byValue = zip(Self.start, g).map { $0 - 1 * Swift.min(Swift.max($1, -0.1), 0.1) }
        #expect(close(try train(SGD(learningRate: 1, clipping: .byValue(0.1)), epochs: 1), byValue))
        // By norm (one tensor, so global norm is the same): scaled to norm 0.5.
        let byNorm = zip(Self.start, g).map { $0 - 1 * $1 * 0.5 / norm }
        #expect(close(try train(SGD(learningRate: 1, clipping: .byNorm(0.5)), epochs: 1), byNorm))
        #expect(close(try train(SGD(learningRate: 1, clipping: .byGlobalNorm(0.5)), epochs: 1), byNorm))
        // A threshold above the norm changes nothing.
        let plain = zip(Self.start, g).map { $0 - 1 * $1 }
        #expect(close(try train(SGD(learningRate: 1, clipping: .byNorm(100)), epochs: 1), plain))
        #expect(throws: ModelError.self) { try train(SGD(clipping: .byNorm(0)), epochs: 1) }
    }

    @Test func learningRateSchedulesFollowKeras() {
        let exponential = LearningRate.exponentialDecay(initial: 0.1, decaySteps: 10, decayRate: 0.5)
        #expect(Swift.abs(exponential.value(atStep: 10) - 0.05) < 1e-12)
        #expect(Swift.abs(exponential.value(atStep: 5) - 0.1 * pow(0.5, 0.5)) < 1e-12)
        let staircase = LearningRate.exponentialDecay(initial: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true)
        #expect(staircase.value(atStep: 19) == 0.05)
        let timeBased = LearningRate.inverseTimeDecay(initial: 0.1, decaySteps: 1, decayRate: 0.01)
        #expect(Swift.abs(timeBased.value(atStep: 100) - 0.05) < 1e-12)
        let steps = LearningRate.piecewiseConstant(boundaries: [10, 20], values: [1, 0.5, 0.1])
        #expect([0, 10, 11, 20, 21].map(steps.value(atStep:)) == [1, 1, 0.5, 0.5, 0.1])
    }

    @Test func scheduledRateIsUsedStepByStep() throws {
        // Step decay: 0.1 for the first step, then 0.01.
        var w = Self.start
        for step in 0..<3 {
            let g = Self.gradient(w)
            let lr = step == 0 ? 0.1 : 0.01
            for j in 0..<2 { w[j] -= lr * g[j] }
        }
        let schedule = LearningRate.piecewiseConstant(boundaries: [0], values: [0.1, 0.01])
        #expect(close(try train(SGD(learningRate: schedule), epochs: 3), w))
    }

    @Test func kerasNamesResolve() throws {
        #expect(try Loss(keras: "mse") == .meanSquaredError)
        #expect(try Loss(keras: "binary_crossentropy") == .binaryCrossEntropy)
        #expect(try Loss(keras: "kld") == .kullbackLeiblerDivergence)
        #expect(throws: ModelError.self) { try Loss(keras: "cross_entropy") }
        #expect(try Metric(keras: "acc") == .accuracy)
        #expect(try Initializer(keras: "he_uniform") == .heUniform())
        let model = Sequential(inputShape: [2]) { Dense(1) }
        try model.compile(optimizer: "adam", loss: "mse", metrics: ["mae"])
        #expect(throws: ModelError.self) { try model.compile(optimizer: "adamw", loss: "mse") }
    }
}
