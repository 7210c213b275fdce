import CaseStudies
import Foundation
import Models
import Tracking
import Tuning

/// The deck's Keras Tuner example as written (Examples/keras-tuner): `RandomSearch` over the
/// first layer's units (32…512, step 32) and Adam's learning rate (1e-2, 1e-3, 1e-4), objective
/// val_accuracy, 5 trials × 3 executions, batch 32, on the deck's circles (first 500 rows train,
/// last 500 validate) — end to end, every execution logged to a throwaway run store.
public enum TunerBenchmark {
    public struct Figures: Codable, Sendable {
        public var epochs: Int
        public var trials: Int
        public var executions: Int
        public var parallel: Int
        /// Seconds for `search` (building, training, evaluating and logging every execution).
        public var seconds: Double
        public var bestConfiguration: String
        public var bestScore: Double
    }

    /// The deck's model-building function.
    public static let build: @Sendable (HyperParameters) throws -> Sequential = { hp in
        let model = try Sequential {
            Dense(try hp.int("units", min: 32, max: 512, step: 32), activation: .relu)
            Dense(1, activation: .sigmoid)
        }
        try model.compile(optimizer: Adam(learningRate: try hp.choice("learning_rate", [1e-2, 1e-3, 1e-4])), loss: .binaryCrossEntropy, metrics: [.accuracy])
        return model
    }

    /// With `vectorizeExecutions`, each trial's executions train together (one program).
    public static func run(epochs: Int, parallel: Int = 2, trials: Int = 5, executions: Int = 3, seed: UInt64 = 1,
                           vectorizeExecutions: Bool = false) throws -> Figures {
        let data = try BatchNormCaseStudy.circles()
        let train = try data.rows(0..<500), test = try data.rows(500..<1000)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("temper-tuner-bench-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tuner = try RandomSearch(objective: .maximize("val_accuracy"), maxTrials: trials, executionsPerTrial: executions, seed: seed,
                                     directory: directory, projectName: "helloworld", parallel: parallel, build)
        let start = Date()
        try tuner.search(x: train.x, y: train.y, epochs: epochs, batchSize: 32, validationData: (test.x, test.y), verbose: 0,
                         vectorizeExecutions: vectorizeExecutions)
        let seconds = Date().timeIntervalSince(start)
        let best = try tuner.bestHyperparameters(1).first?.values ?? [:]
        let score = try tuner.sweep?.bestTrials(1).first?.score ?? .nan
        return Figures(epochs: epochs, trials: trials, executions: executions, parallel: parallel, seconds: seconds,
                       bestConfiguration: best.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "), bestScore: score)
    }
}
