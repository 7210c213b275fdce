import Foundation
import Testing
import Models
import Runtime

/// `layerOutputs`, `lossAndGradients` and `NonstationaryNoise`: what the batch-norm lab measures with.
struct ProbeTests {
    /// Dense(3) → BN → ReLU → Dropout → Dense(2), with inputs of 2 features.
    func model(seed: UInt64 = 3) throws -> Sequential {
        let model = Sequential(seed: seed, inputShape: [2]) {
            Dense(3, kernelInitializer: .glorotNormal(), biasInitializer: .randomNormal(stddev: 0.3))
            BatchNormalization(betaInitializer: .randomNormal(stddev: 0.5), gammaInitializer: .randomUniform(min: 0.5, max: 1.5),
                               movingMeanInitializer: .randomNormal(stddev: 0.5), movingVarianceInitializer: .randomUniform(min: 0.5, max: 2))
            Activation(.relu)
            Dropout(0.3)
            Dense(2, kernelInitializer: .glorotNormal())
        }
        try model.compile(optimizer: SGD(learningRate: .constant(0.1)), loss: .meanSquaredError)
        return model
    }

    func data(rows: Int = 6, seed: UInt64 = 9) throws -> (x: Matrix, y: Matrix) {
        var random = SeededRandom(seed: seed)
        func value() -> Float { Float(random.next() % 2000) / 1000 - 1 }
        return (try Matrix(rows: rows, columns: 2, values: (0..<(rows * 2)).map { _ in value() }),
                try Matrix(rows: rows, columns: 2, values: (0..<(rows * 2)).map { _ in value() }))
    }

    /// Dense then batch normalization, recomputed in Double from the weights.
    @Test func layerOutputsAreTheLayersValuesInBothModes() throws {
        let model = try self.model()
        let (x, _) = try data()
        let w = try model.weights()
        let kernel = try #require(w["dense/kernel"]), bias = try #require(w["dense/bias"])
        let gamma = try #require(w["batch_normalization/gamma"]), beta = try #require(w["batch_normalization/beta"])
        let movingMean = try #require(w["batch_normalization/moving_mean"]), movingVariance = try #require(w["batch_normalization/moving_variance"])
        var dense = [[Double]](repeating: [0, 0, 0], count: x.rows)
        for i in 0..<x.rows { for j in 0..<3 { dense[i][j] = Double(bias[j]) + (0..<2).reduce(0.0) { $0 + Double(x.values[i * 2 + $1]) * Double(kernel[$1 * 3 + j]) } } }
        let inference = try model.layerOutputs(x: x, layers: ["dense", "batch_normalization"], mode: .inference)
        let training = try model.layerOutputs(x: x, layers: ["batch_normalization"], mode: .training)
        #expect(close(try #require(inference["dense"]).values, dense.flatMap { $0 }))
        var expectedInference: [Double] = [], expectedTraining = [Double](repeating: 0, count: x.rows * 3)
        for i in 0..<x.rows { for j in 0..<3 {
            expectedInference.append(Double(gamma[j]) * (dense[i][j] - Double(movingMean[j])) / (Double(movingVariance[j]) + 1e-3).squareRoot() + Double(beta[j]))
        } }
        for j in 0..<3 {
            let column = dense.map { $0[j] }
            let mean = column.reduce(0, +) / Double(x.rows)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.rows)
            for i in 0..<x.rows { expectedTraining[i * 3 + j] = Double(gamma[j]) * (column[i] - mean) / (variance + 1e-3).squareRoot() + Double(beta[j]) }
        }
        #expect(close(try #require(inference["batch_normalization"]).values, expectedInference, tolerance: 1e-4))
        #expect(close(try #require(training["batch_normalization"]).values, expectedTraining, tolerance: 1e-4))
        // The last layer's inference output is `predict`'s.
        #expect(try model.layerOutputs(x: x, layers: ["dense_1"])["dense_1"] == model.predict(x: x))
        // The moving statistics were not updated by the training-mode probe.
        #expect(try model.weights() == w)
    }

    @Test func layerOutputsNameAMissingLayer() throws {
        let model = try self.model()
        let (x, _) = try data()
        #expect { _ = try model.layerOutputs(x: x, layers: ["dens"]) } throws: { error in
            "\(error)".contains("no layer \"dens\"") && "\(error)".contains("dense, batch_normalization, activation, dropout, dense_1")
        }
    }

    /// The loss at substituted weights is the loss of a model holding those weights, and the
    /// gradient matches central differences of that loss along a random direction.
    @Test func lossAndGradientsAtOtherWeightsMatchAModelHoldingThemAndCentralDifferences() throws {
        let model = try self.model(), twin = try self.model(seed: 3)
        let (x, y) = try data()
        var random = SeededRandom(seed: 77)
        let names = ["dense/kernel", "dense/bias", "batch_normalization/gamma", "dense_1/kernel"]
        let base = try model.weights()
        var moved: [String: [Float]] = [:], direction: [String: [Float]] = [:]
        for name in names {
            let values = try #require(base[name])
            direction[name] = values.map { _ in Float(random.next() % 2001) / 1000 - 1 }
            moved[name] = zip(values, direction[name]!).map { $0 + 0.2 * $1 }
        }
        let (loss, gradients) = try model.lossAndGradients(x: x, y: y, weights: moved)
        try twin.setWeights(base.merging(moved) { _, new in new })
        let (twinLoss, twinGradients) = try twin.lossAndGradients(x: x, y: y)
        #expect(Swift.abs(loss - twinLoss) <= 1e-6 * Swift.max(1, Swift.abs(loss)))
        for name in names { #expect(close(try #require(gradients[name]), try #require(twinGradients[name]).map(Double.init), tolerance: 1e-5)) }
        // Central differences of the loss along the direction (the same dropout mask throughout).
        let (numeric, analytic) = try directionalDerivatives(model, x, y, at: moved, along: direction)
        #expect(Swift.abs(numeric - analytic) <= 2e-2 * Swift.max(1, Swift.abs(analytic)), "numeric \(numeric), analytic \(analytic)")
        #expect(!gradients.keys.contains("batch_normalization/moving_mean"))
    }

    /// `(L(w + h·d) − L(w − h·d)) / 2h` and `∇L(w)·d`, both through `lossAndGradients`.
    func directionalDerivatives(_ model: Sequential, _ x: Matrix, _ y: Matrix, at weights: [String: [Float]], along direction: [String: [Float]],
                                h: Float = 1e-2) throws -> (numeric: Double, analytic: Double) {
        func shifted(_ sign: Float) -> [String: [Float]] {
            weights.merging(direction.map { name, d in (name, zip(weights[name] ?? [], d).map { $0 + sign * h * $1 }) }) { _, new in new }
        }
        let gradients = try model.lossAndGradients(x: x, y: y, weights: weights).gradients
        let plus = try model.lossAndGradients(x: x, y: y, weights: shifted(1)).loss
        let minus = try model.lossAndGradients(x: x, y: y, weights: shifted(-1)).loss
        let analytic = direction.reduce(0.0) { sum, entry in sum + zip(gradients[entry.key] ?? [], entry.value).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
        return ((plus - minus) / (2 * Double(h)), analytic)
    }

    /// The noise is part of the differentiated forward: gradients through it match central differences.
    @Test func gradientsThroughNonstationaryNoiseMatchCentralDifferences() throws {
        let model = Sequential(seed: 8, inputShape: [2]) {
            Dense(3, kernelInitializer: .glorotNormal())
            NonstationaryNoise(shift: 0.7, spread: 0.7)
            Activation(.tanh)
            Dense(2, kernelInitializer: .glorotNormal())
        }
        try model.compile(optimizer: SGD(learningRate: .constant(0.1)), loss: .meanSquaredError)
        let (x, y) = try data()
        let weights = try model.weights()
        var random = SeededRandom(seed: 4)
        let direction = weights.mapValues { $0.map { _ in Float(random.next() % 2001) / 1000 - 1 } }
        let (numeric, analytic) = try directionalDerivatives(model, x, y, at: weights, along: direction)
        #expect(Swift.abs(numeric - analytic) <= 2e-2 * Swift.max(1, Swift.abs(analytic)), "numeric \(numeric), analytic \(analytic)")
        // The noise changes the loss (it is on in the training forward).
        let plain = Sequential(seed: 8, inputShape: [2]) { Dense(3, kernelInitializer: .glorotNormal()); Activation(.tanh); Dense(2, kernelInitializer: .glorotNormal()) }
        try plain.compile(optimizer: SGD(learningRate: .constant(0.1)), loss: .meanSquaredError)
        try plain.setWeights(weights)
        #expect(try plain.lossAndGradients(x: x, y: y).loss != model.lossAndGradients(x: x, y: y).loss)
    }

    /// Probing between fits changes nothing: weights, moving statistics, optimizer state and the
    /// dropout masks of later steps are those of a model never probed (bit for bit).
    @Test func probingLeavesTheModelAndItsNextStepsUnchanged() throws {
        let probed = try self.model(), untouched = try self.model()
        let (x, y) = try data(rows: 12)
        try probed.fit(x: x, y: y, batchSize: 4, epochs: 1, shuffle: false, verbose: 0)
        try untouched.fit(x: x, y: y, batchSize: 4, epochs: 1, shuffle: false, verbose: 0)
        let before = try probed.weights()
        let scaled = before.filter { $0.key.hasSuffix("kernel") }.mapValues { $0.map { $0 * 3 } }
        _ = try probed.lossAndGradients(x: x, y: y, weights: scaled)
        _ = try probed.layerOutputs(x: x, layers: ["dropout", "batch_normalization"], mode: .training)
        #expect(try probed.weights() == before)
        let a = try probed.fit(x: x, y: y, batchSize: 4, epochs: 2, shuffle: false, verbose: 0)
        let b = try untouched.fit(x: x, y: y, batchSize: 4, epochs: 2, shuffle: false, verbose: 0)
        let (lossA, lossB) = (try a["loss"], try b["loss"])
        #expect(lossA == lossB && lossA.count == 2)
        #expect(try probed.weights() == untouched.weights())
    }

    @Test func substituteWeightsAreChecked() throws {
        let model = try self.model()
        let (x, y) = try data()
        #expect { _ = try model.lossAndGradients(x: x, y: y, weights: ["dense/kernal": [1]]) } throws: { "\($0)".contains("no parameter \"dense/kernal\"") }
        #expect { _ = try model.lossAndGradients(x: x, y: y, weights: ["dense/kernel": [1, 2]]) } throws: { "\($0)".contains("holds 6 values, the substitute has 2") }
        #expect { _ = try model.lossAndGradients(x: x, y: y, variables: ["batch_normalization/moving_mean"]) } throws: { "\($0)".contains("not a trainable variable") }
    }

    /// Every step draws each feature's mean and deviation anew; values within a step share them.
    @Test func nonstationaryNoiseMovesEachFeaturesDistributionEveryStep() throws {
        let model = Sequential(seed: 5, inputShape: [3]) {
            Dense(4, kernelInitializer: .zeros)
            NonstationaryNoise(shift: 1, spread: 0.5)
        }
        try model.compile(optimizer: SGD(learningRate: .constant(0)), loss: .meanSquaredError)
        let x = try Matrix(rows: 4000, columns: 3, values: [Float](repeating: 0.5, count: 12000))
        func columnMeans() throws -> [Double] {
            let noise = try #require(try model.layerOutputs(x: x, layers: ["nonstationary_noise"], mode: .training)["nonstationary_noise"])
            return try (0..<4).map { j in try noise.column(j).reduce(0.0) { $0 + Double($1) } / 4000 }
        }
        let first = try columnMeans()
        #expect(try columnMeans() == first)  // probing does not advance the step
        #expect((first.max() ?? 0) - (first.min() ?? 0) > 0.2, "per-feature means \(first)")
        try model.fit(x: try x.rows(0..<1), y: try Matrix(rows: 1, columns: 4, values: [0, 0, 0, 0]), epochs: 1, verbose: 0)
        let second = try columnMeans()
        #expect(zip(first, second).map { Swift.abs($0 - $1) }.max() ?? 0 > 0.1, "\(first) then \(second)")
        // Identity in inference.
        #expect(try model.layerOutputs(x: x, layers: ["nonstationary_noise"])["nonstationary_noise"]?.values.allSatisfy { $0 == 0 } == true)
        #expect { _ = try Sequential(inputShape: [2]) { NonstationaryNoise(shift: -1, spread: 0) }.build(inputShape: [2]) } throws: { "\($0)".contains("non-negative") }
    }
}

/// Files shipped beside the programs: found there, and a clear error (not a trap) when missing.
struct ShippedFilesTests {
    @Test func aMissingResourceFolderIsAnErrorThatSaysWhatToDo() throws {
        #expect { _ = try ShippedFiles.url(module: "NoSuchModule", path: "x.csv") } throws: { error in
            "\(error)".contains("x.csv is not next to the program") && "\(error)".contains("copy Temper_NoSuchModule.resources beside it")
        }
        // This test target's own resources are beside the test program.
        #expect(try ShippedFiles.url(module: "ModelsTests", path: "Data/circles.csv").lastPathComponent == "circles.csv")
    }
}
