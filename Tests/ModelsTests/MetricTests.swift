import Foundation
import Testing
@testable import Models

/// Precision, recall, AUC and top-k accuracy on fixed data, against scikit-learn's values on the
/// same data (precision_score, recall_score, roc_auc_score, top_k_accuracy_score; the script is in
/// the comments). The models pass their input through (`p = x`), so the scores are the data's.
struct MetricTests {
    // numpy default_rng(7): y = integers(0, 2, 40); bins = integers(0, 150, 40), +48 where y = 1;
    // score = (bin + 0.5)/199, the middle of a bin of Keras' 200 AUC thresholds, where Keras'
    // AUC equals the exact area (Keras 3 gave 0.83203125 too, in one batch and in batches of 7).
    static let y: [Float] = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1]
    static let bins: [Float] = [117, 80, 174, 72, 176, 139, 65, 6, 66, 5, 21, 125, 193, 69, 121, 185, 123, 142, 66, 77, 87, 74, 56, 37, 196, 1,
                                62, 28, 145, 151, 180, 78, 156, 103, 121, 48, 140, 172, 99, 71]
    static let sklearn = (auc: 0.83203125, precision: 0.8421052631578947, recall: 0.6666666666666666)

    /// `p = x`: one input, one output, kernel 1, bias 0.
    static func passThrough(outputs: Int, loss: Loss, metrics: [Metric]) throws -> Sequential {
        let model = Sequential { Dense(outputs, inputShape: [outputs]) }
        try model.compile(optimizer: SGD(), loss: loss, metrics: metrics)
        let identity = (0..<(outputs * outputs)).map { $0 / outputs == $0 % outputs ? Float(1) : 0 }
        try model.setWeights(["dense/kernel": identity, "dense/bias": [Float](repeating: 0, count: outputs)])
        return model
    }

    @Test(arguments: [40, 7])
    func precisionRecallAndAUCMatchScikitLearnOverBatches(batchSize: Int) throws {
        let model = try Self.passThrough(outputs: 1, loss: .meanSquaredError, metrics: [.precision, .recall, .auc])
        let x = try Matrix(rows: 40, columns: 1, values: Self.bins.map { ($0 + 0.5) / 199 })
        let logs = try model.evaluate(x: x, y: try Matrix(rows: 40, columns: 1, values: Self.y), batchSize: batchSize)
        #expect(abs((logs["auc"] ?? .nan) - Self.sklearn.auc) < 1e-6, "\(logs)")
        #expect(abs((logs["precision"] ?? .nan) - Self.sklearn.precision) < 1e-6, "\(logs)")
        #expect(abs((logs["recall"] ?? .nan) - Self.sklearn.recall) < 1e-6, "\(logs)")
    }

    @Test func withNoPositivePredictionPrecisionIsZeroNotNaN() throws {
        let model = try Self.passThrough(outputs: 1, loss: .meanSquaredError, metrics: [.precision, .recall])
        let logs = try model.evaluate(x: try Matrix(rows: 2, columns: 1, values: [0.1, 0.2]), y: try Matrix(rows: 2, columns: 1, values: [1, 0]))
        #expect(logs["precision"] == 0 && logs["recall"] == 0)
    }

    @Test func trainingLogsCountOverTheEpochAndTheNamesParse() throws {
        let model = Sequential(seed: 1) { Dense(4, activation: .relu, inputShape: [2]); Dense(1, activation: .sigmoid) }
        try model.compile(optimizer: "adam", loss: "binary_crossentropy", metrics: ["auc", "precision", "recall"])
        let data = try Generators.circles(samples: 200, noise: 0.1, seed: 1)
        let history = try model.fit(x: data.x, y: data.y, batchSize: 32, epochs: 2, verbose: 0)
        for key in ["auc", "precision", "recall", "end_of_epoch_auc"] {
            let values: [Double] = try history[key]
            #expect(values.count == 2 && values.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(key): \(values)")
        }
    }

    // numpy default_rng(3): 12 rows, 4 classes, each row a permutation of (0.1, 0.35, 0.6, 0.85).
    static let classes: [Float] = [3, 0, 0, 0, 0, 3, 3, 2, 0, 0, 1, 1]
    static let scores: [Float] = [0.1, 0.35, 0.85, 0.6, 0.1, 0.35, 0.85, 0.6, 0.6, 0.35, 0.1, 0.85, 0.6, 0.1, 0.35, 0.85, 0.6, 0.35, 0.85, 0.1,
                                  0.85, 0.1, 0.6, 0.35, 0.85, 0.1, 0.35, 0.6, 0.35, 0.6, 0.1, 0.85, 0.6, 0.85, 0.1, 0.35, 0.1, 0.6, 0.35, 0.85,
                                  0.6, 0.85, 0.1, 0.35, 0.85, 0.1, 0.6, 0.35]

    @Test(arguments: [(1, 0.08333333333333333), (2, 0.5833333333333334), (3, 0.6666666666666666)])
    func topKAccuracyMatchesScikitLearn(k: Int, expected: Double) throws {
        let x = try Matrix(rows: 12, columns: 4, values: Self.scores)
        let sparse = try Self.passThrough(outputs: 4, loss: .sparseCategoricalCrossEntropy, metrics: [.sparseTopKCategoricalAccuracy(k: k)])
        let sparseLogs = try sparse.evaluate(x: x, y: try Matrix(rows: 12, columns: 1, values: Self.classes), batchSize: 5)
        #expect(abs((sparseLogs["sparse_top_k_categorical_accuracy"] ?? .nan) - expected) < 1e-6, "\(sparseLogs)")
        let oneHot = Self.classes.flatMap { c in (0..<4).map { Float($0) == c ? Float(1) : 0 } }
        let dense = try Self.passThrough(outputs: 4, loss: .categoricalCrossEntropy, metrics: [.topKCategoricalAccuracy(k: k)])
        let denseLogs = try dense.evaluate(x: x, y: try Matrix(rows: 12, columns: 4, values: oneHot), batchSize: 5)
        #expect(abs((denseLogs["top_k_categorical_accuracy"] ?? .nan) - expected) < 1e-6, "\(denseLogs)")
    }

    @Test func tiesWithTheKthCountAsInTopKAsTensorFlowDoes() throws {
        // Label 2 ties with class 0 for the largest output: both are in the top 1.
        let model = try Self.passThrough(outputs: 3, loss: .sparseCategoricalCrossEntropy, metrics: [.sparseTopKCategoricalAccuracy(k: 1)])
        let logs = try model.evaluate(x: try Matrix(rows: 1, columns: 3, values: [0.5, 0.1, 0.5]), y: try Matrix(rows: 1, columns: 1, values: [2]))
        #expect(logs["sparse_top_k_categorical_accuracy"] == 1)
    }

    @Test func confusionMetricsRefuseClassIndexLabels() throws {
        let model = Sequential { Dense(3, activation: .softmax, inputShape: [2]) }
        #expect { try model.compile(optimizer: SGD(), loss: .sparseCategoricalCrossEntropy, metrics: [.auc]) } throws: {
            "\($0)".contains("auc needs labels shaped like the predictions")
        }
    }
}
