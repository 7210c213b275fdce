import Foundation
import Testing
@testable import Models

struct FitTests {
    func deckModel(seed: UInt64) throws -> Sequential {
        let model = Sequential(seed: seed) {
            Dense(50, activation: .relu, kernelInitializer: .heUniform(), inputShape: [2])
            BatchNormalization()
            Dense(1, activation: .sigmoid)
        }
        try model.compile(optimizer: SGD(learningRate: 0.01, momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
        return model
    }

    @Test func theCaseStudyModelLearnsTheCircles() throws {
        let data = try circles()
        let model = try deckModel(seed: 1)
        let history = try model.fit(x: data.rows(0..<500).x, y: data.rows(0..<500).y, batchSize: 32, epochs: 40,
                                    validationData: (data.rows(500..<1000).x, data.rows(500..<1000).y), verbose: 0)
        #expect(history.epochs == Array(0..<40))
        for key in ["loss", "accuracy", "end_of_epoch_loss", "end_of_epoch_accuracy", "val_loss", "val_accuracy", "learning_rate"] {
            #expect(try history[key].count == 40, "\(key)")
        }
        #expect(try history["val_accuracy"].last! > 0.8)
        #expect(try history["loss"].last! < history["loss"].first!)
        #expect(try history["learning_rate"].allSatisfy { Swift.abs($0 - 0.01) < 1e-9 })
        // evaluate and predict agree with the last epoch's inference-mode figures.
        let test = try data.rows(500..<1000)
        let logs = try model.evaluate(x: test.x, y: test.y)
        #expect(try Swift.abs(logs["accuracy"]! - history["val_accuracy"].last!) < 1e-6)
        let predictions = try model.predict(x: test.x)
        let correct = zip(predictions.values, test.y.values).filter { ($0 > 0.5 ? 1 : 0) == $1 }.count
        #expect(Swift.abs(Double(correct) / 500 - logs["accuracy"]!) < 1e-6)
    }

    @Test func aSeedReproducesARunBitForBit() throws {
        let data = try circles().rows(0..<200)
        func run(_ seed: UInt64) throws -> [Double] {
            try deckModel(seed: seed).fit(x: data.x, y: data.y, batchSize: 16, epochs: 5, verbose: 0)["loss"]
        }
        #expect(try run(7) == (try run(7)))
        #expect(try run(7) != (try run(8)))
    }

    @Test func validationSplitHoldsOutTheLastRows() throws {
        let data = try circles().rows(0..<100)
        let model = try deckModel(seed: 1)
        let history = try model.fit(x: data.x, y: data.y, batchSize: 10, epochs: 2, validationSplit: 0.2, verbose: 0)
        let held = try data.rows(80..<100)
        #expect(try Swift.abs(model.evaluate(x: held.x, y: held.y)["accuracy"]! - history["val_accuracy"].last!) < 1e-6)
    }

    @Test func badDataIsRejectedWithTheShapes() throws {
        let model = try deckModel(seed: 1)
        #expect { try model.fit(x: Matrix([[1, 2, 3]]), y: Matrix(column: [1]), verbose: 0) } throws: {
            "\($0)".contains("3 columns but model \"sequential\" takes 2 features")
        }
        #expect { try model.fit(x: Matrix([[1, 2], [3, 4]]), y: Matrix(column: [1]), verbose: 0) } throws: {
            "\($0)".contains("2 input rows but 1 label rows")
        }
        #expect { try model.fit(x: Matrix([[1, 2]]), y: Matrix([[1, 0]]), verbose: 0) } throws: {
            "\($0)".contains("labels have 2 columns but the model outputs 1")
        }
        let fresh = Sequential(inputShape: [2]) { Dense(1) }
        #expect { try fresh.fit(x: Matrix([[1, 2]]), y: Matrix(column: [1]), verbose: 0) } throws: { "\($0)".contains("is not compiled") }
    }

    @Test func sparseClassifierTrainsOnIris() throws {
        let url = try #require(Bundle.module.url(forResource: "iris", withExtension: "csv", subdirectory: "Data"))
        let data = try Dataset.csv(path: url.path)
        let (train, test) = try data.split(testFraction: 0.3, seed: 4)
        let scaler = StandardScaler.fitted(to: train.x)
        let model = Sequential(seed: 3) {
            Dense(16, activation: .relu, inputShape: [4])
            Dense(3, activation: .softmax)
        }
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .sparseCategoricalCrossEntropy, metrics: [.accuracy])
        let history = try model.fit(x: scaler.transform(train.x), y: train.y, batchSize: 16, epochs: 60,
                                    validationData: (try scaler.transform(test.x), test.y), verbose: 0)
        #expect(try history["val_accuracy"].last! > 0.85)
        // One-hot labels with categorical cross-entropy reach the same kind of result.
        let onehot = Sequential(seed: 3) {
            Dense(16, activation: .relu, inputShape: [4])
            Dense(3, activation: .softmax)
        }
        try onehot.compile(optimizer: Adam(learningRate: 0.01), loss: .categoricalCrossEntropy, metrics: [.accuracy])
        let h2 = try onehot.fit(x: scaler.transform(train.x), y: oneHot(train.y, classes: 3), batchSize: 16, epochs: 60,
                                validationData: (try scaler.transform(test.x), try oneHot(test.y, classes: 3)), verbose: 0)
        #expect(try h2["val_accuracy"].last! > 0.85)
        #expect { try model.fit(x: train.x, y: Matrix(column: [Float](repeating: 5, count: train.count)), verbose: 0) } throws: {
            "\($0)".contains("label 5.0 in row 0 is not a class index in 0..<3")
        }
    }

    @Test func gradientsCanBeReadWithoutTraining() throws {
        let data = try circles().rows(0..<64)
        let model = try deckModel(seed: 1)
        let before = try model.weights()
        let gradients = try model.gradients(x: data.x, y: data.y, variables: ["dense/kernel"])
        #expect(gradients["dense/kernel"]?.count == 100)
        #expect(gradients["dense/kernel"]!.contains { $0 != 0 })
        #expect(try model.weights() == before)
        #expect(throws: ModelError.self) { try model.gradients(x: data.x, y: data.y, variables: ["batch_normalization/moving_mean"]) }
    }
}

struct AccuracyTieTests {
    /// A model whose softmax is uniform: every class ties.
    func uniform(loss: Loss) throws -> Sequential {
        let model = Sequential {
            Dense(3, activation: .softmax, kernelInitializer: .zeros, biasInitializer: .zeros, inputShape: [4])
        }
        try model.compile(optimizer: SGD(), loss: loss, metrics: [.accuracy])
        return model
    }

    @Test func tiesGoToTheFirstClassAsKerasArgmax() throws {
        let url = try #require(Bundle.module.url(forResource: "iris", withExtension: "csv", subdirectory: "Data"))
        let iris = try Dataset.csv(path: url.path)
        // Keras: argmax picks class 0 for every row, right for the 50 of 150 rows labelled 0.
        let sparse = try uniform(loss: .sparseCategoricalCrossEntropy).evaluate(x: iris.x, y: iris.y)
        #expect(abs((sparse["accuracy"] ?? .nan) - 50.0 / 150) < 1e-6, "\(sparse)")
        let categorical = try uniform(loss: .categoricalCrossEntropy).evaluate(x: iris.x, y: try oneHot(iris.y))
        #expect(abs((categorical["accuracy"] ?? .nan) - 50.0 / 150) < 1e-6, "\(categorical)")
        // A clear winner still counts: labels all 2 with the third output largest.
        let x = try Matrix(rows: 2, columns: 4, values: [Float](repeating: 1, count: 8))
        let model = Sequential { Dense(3, activation: .softmax, kernelInitializer: .zeros, biasInitializer: .constant(0), inputShape: [4]) }
        try model.compile(optimizer: SGD(), loss: .sparseCategoricalCrossEntropy, metrics: [.accuracy])
        try model.setWeights(["dense/kernel": [Float](repeating: 0, count: 12), "dense/bias": [0, 0, 1]])
        #expect(try model.evaluate(x: x, y: try Matrix(rows: 2, columns: 1, values: [2, 2]))["accuracy"] == 1)
    }
}

struct SoftmaxCrossEntropyTests {
    /// Softmax output and class 0 ahead by 30 nats, the label class 1: Keras with TensorFlow (and
    /// PyTorch's cross-entropy on logits) reports the true loss, 30, not the clipped −ln(1e-7) ≈ 16.1,
    /// and training moves the weights.
    @Test(arguments: [Loss.sparseCategoricalCrossEntropy, .categoricalCrossEntropy])
    func aConfidentlyWrongSampleHasItsTrueLossAndIsLearnedFrom(loss: Loss) throws {
        let model = Sequential { Dense(3, activation: .softmax, kernelInitializer: .zeros, biasInitializer: .zeros, inputShape: [2]) }
        try model.compile(optimizer: SGD(learningRate: 0.1), loss: loss)
        try model.setWeights(["dense/kernel": [Float](repeating: 0, count: 6), "dense/bias": [30, 0, 0]])
        let x = try Matrix(rows: 1, columns: 2, values: [1, 1])
        let y = loss == .sparseCategoricalCrossEntropy ? try Matrix(rows: 1, columns: 1, values: [1]) : try Matrix(rows: 1, columns: 3, values: [0, 1, 0])
        let evaluated = try #require(try model.evaluate(x: x, y: y)["loss"])
        #expect(abs(evaluated - 30) < 1e-3, "loss \(evaluated)")
        _ = try model.fit(x: x, y: y, batchSize: 1, epochs: 1, verbose: 0)
        let bias = try #require(try model.weights()["dense/bias"])
        // One SGD step: bias −= 0.1·(softmax − y) = 0.1·(1 − 1, −(0 − 1), 0) → (29.9, 0.1, 0).
        #expect(abs(Double(bias[0]) - 29.9) < 1e-4 && abs(Double(bias[1]) - 0.1) < 1e-4, "\(bias)")
    }
}

struct NonFiniteTests {
    func model() throws -> Sequential {
        let model = Sequential(seed: 2) { Dense(1, inputShape: [3]) }
        try model.compile(optimizer: SGD(learningRate: 3), loss: .meanSquaredError)
        return model
    }

    @Test func nonFiniteInputsAreErrorsNamingRowAndColumn() throws {
        var values = [Float](repeating: 1, count: 12)
        values[7] = .nan
        let x = try Matrix(rows: 4, columns: 3, values: values), y = try Matrix(rows: 4, columns: 1, values: [1, 2, 3, 4])
        let m = try model()
        #expect { try m.fit(x: x, y: y, epochs: 1, verbose: 0) } throws: { "\($0)".contains("training inputs hold NaN in row 2, column 1") }
        #expect { try m.predict(x: x) } throws: { "\($0)".contains("row 2, column 1") }
        let clean = try Matrix(rows: 4, columns: 3, values: [Float](repeating: 1, count: 12))
        #expect { try m.evaluate(x: clean, y: try Matrix(rows: 4, columns: 1, values: [1, .infinity, 3, 4])) } throws: {
            "\($0)".contains("evaluation labels hold inf in row 1, column 0")
        }
    }

    @Test func aDivergingLossStopsFitByDefault() throws {
        let x = try Matrix(rows: 8, columns: 3, values: (0..<24).map { Float($0 % 5) - 2 })
        let y = try Matrix(rows: 8, columns: 1, values: (0..<8).map { Float($0) })
        let m = try model()
        #expect { try m.fit(x: x, y: y, batchSize: 8, epochs: 200, verbose: 0) } throws: { error in
            guard case ModelError.nonFiniteLoss(let epoch, let step, _) = error else { return false }
            return epoch > 0 && step == 0 && "\(error)".contains("allowNonFiniteLoss")
        }
        // The history up to the epoch before is kept, every loss in it finite.
        #expect(try m.lastHistory.epochs.count < 200 && m.lastHistory["loss"].allSatisfy(\.isFinite))
        let allowed = try model()
        #expect(try allowed.fit(x: x, y: y, batchSize: 8, epochs: 200, verbose: 0, allowNonFiniteLoss: true).epochs.count == 200)
        #expect(formatLogValue(-Double.nan) == "nan" && formatLogValue(.infinity) == "inf")
    }
}

struct LastBatchTests {
    @Test func aLastBatchOfOneRowTrainsWithBatchNormalizationAndDropRemainderLeavesItOut() throws {
        // 33 rows, batch 32: the last batch holds one row (fit used to abort there).
        let data = try Generators.circles(samples: 33, noise: 0.1, seed: 3)
        func model() throws -> Sequential {
            let model = Sequential(seed: 1) {
                Dense(8, activation: .relu, inputShape: [2])
                BatchNormalization()
                Dense(1, activation: .sigmoid)
            }
            try model.compile(optimizer: SGD(learningRate: 0.1), loss: .binaryCrossEntropy, metrics: [.accuracy])
            return model
        }
        final class Steps: Callback {
            var batches = 0
            func onBatchEnd(_ batch: Int, logs: Logs, _ training: Training) throws { batches += 1 }
        }
        let kept = Steps(), dropped = Steps()
        let all = try model().fit(x: data.x, y: data.y, batchSize: 32, epochs: 3, callbacks: [kept], verbose: 0)
        #expect(try all["loss"].count == 3 && all["loss"].allSatisfy(\.isFinite) && kept.batches == 6)
        let some = try model().fit(x: data.x, y: data.y, batchSize: 32, epochs: 3, callbacks: [dropped], verbose: 0, dropRemainder: true)
        #expect(try some["loss"].count == 3 && dropped.batches == 3)
        #expect { try model().fit(x: data.x, y: data.y, batchSize: 64, epochs: 1, verbose: 0, dropRemainder: true) } throws: {
            "\($0)".contains("leaves no batch")
        }
    }
}

struct PredictWithoutCompileTests {
    @Test func loadedWeightsPredictWithNeitherOptimizerNorLoss() throws {
        let model = Sequential { Dense(2, activation: .relu, inputShape: [3]) }
        try model.setWeights(["dense/kernel": [1, 0, 0, 1, 0, -1], "dense/bias": [0.5, 0]])
        let x = try Matrix(rows: 2, columns: 3, values: [1, 2, 3, -4, 5, 6])
        // Row 1: (1·1 + 0·2 + 0·3 + 0.5, 0·1 + 1·2 − 1·3) → relu (1.5, 0); row 2: (−3.5 → 0, 5 − 6 → 0).
        #expect(try model.predict(x: x).values == [1.5, 0, 0, 0])
        // fit and evaluate still ask for a compile, and say how.
        #expect { try model.evaluate(x: x, y: x) } throws: { "\($0)".contains("call compile(optimizer:loss:metrics:) first") }
        // A later compile keeps the weights.
        try model.compile(optimizer: SGD(), loss: .meanSquaredError)
        #expect(try model.predict(x: x).values == [1.5, 0, 0, 0])
        #expect(try model.weights()["dense/bias"] == [0.5, 0])
    }

    @Test func aModelWithoutInputShapeTakesItFromTheData() throws {
        let model = Sequential { Dense(1, kernelInitializer: .ones, biasInitializer: .zeros) }
        let x = try Matrix(rows: 1, columns: 4, values: [1, 2, 3, 4])
        #expect(try model.predict(x: x).values == [10])
        #expect(model.inputShape == [4])
    }
}

struct HistoryKeyTests {
    @Test func anUnknownKeyIsAnErrorNamingTheKeysThereAre() throws {
        let model = Sequential(seed: 1) { Dense(1, activation: .sigmoid, inputShape: [2]) }
        try model.compile(optimizer: SGD(), loss: .binaryCrossEntropy, metrics: [.accuracy])
        let data = try Generators.circles(samples: 40, noise: 0.1, seed: 1)
        let history = try model.fit(x: data.x, y: data.y, batchSize: 8, epochs: 2, verbose: 0)
        // No validation data: there is no val_accuracy, and saying [] would read as "no epochs".
        #expect { try history["val_accuracy"] } throws: { "\($0)".contains("no \"val_accuracy\"; it has loss, accuracy") }
        #expect(history.values(of: "val_accuracy") == nil)
        #expect(try history["accuracy"].count == 2)
    }
}

/// `Sequential.profile` trains as an unshuffled fit does: one step per successive batch.
struct ProfileTrainingTests {
    @Test func profileStepsThroughTheBatchesAsAnUnshuffledFit() throws {
        // Before, every profiled step trained the first batch again (and fitted it until its
        // gradients were subnormal, timing arithmetic no fit does).
        let data = try circles().rows(0..<96)
        func model() throws -> Sequential {
            let model = Sequential(seed: 3) {
                Dense(8, activation: .relu, inputShape: [2])
                Dense(1, activation: .sigmoid)
            }
            try model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
            return model
        }
        let profiled = try model(), fitted = try model()
        _ = try profiled.profile(x: data.x, y: data.y, batchSize: 32, runs: 3)
        _ = try fitted.fit(x: data.x, y: data.y, batchSize: 32, epochs: 1, shuffle: false, verbose: 0)
        let a = try profiled.weights(), b = try fitted.weights()
        #expect(a.keys.sorted() == b.keys.sorted())
        for (name, values) in a { #expect(values == b[name], "\(name)") }
        #expect { try profiled.profile(x: data.x, y: data.y, batchSize: 0) } throws: { "\($0)".contains("batch size and a run count of at least 1, not 0") }
    }
}
