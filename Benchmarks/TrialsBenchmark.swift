import CaseStudies
import Foundation
import Models

/// Vectorized trials on the deck's case study: `trials` models of the case-study architecture
/// (variant after, each with its own seed and learning rate), trained 100 epochs with evaluation
/// on the training and test sets after each, one after another with `fit` and together with
/// `Sequential.fitTogether`. Both times include building and compiling the models.
public enum TrialsBenchmark {
    public struct Figures: Codable, Sendable {
        public var trials: Int
        public var epochs: Int
        /// Median milliseconds for all trials, one after another and together.
        public var serialMilliseconds: Double
        public var togetherMilliseconds: Double
        public var speedup: Double { serialMilliseconds / togetherMilliseconds }
        /// Every trial's final test accuracy was the same both ways (bit for bit).
        public var identical: Bool
    }

    /// The learning rate of trial `i`: 16 rates from 0.001 to 0.3, log-spaced.
    static func rate(_ i: Int, of trials: Int) -> Double {
        0.001 * pow(300, Double(i) / Double(Swift.max(trials - 1, 1)))
    }

    static func models(_ trials: Int) throws -> [Sequential] {
        try (0..<trials).map { i in
            let model = BatchNormVariant.after.model(seed: UInt64(i + 1))
            try model.compile(optimizer: SGD(learningRate: .constant(rate(i, of: trials)), momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
            return model
        }
    }

    public static func run(trials: Int = 16, epochs: Int = 100, repetitions: Int = 3) throws -> Figures {
        let study = try BatchNormCaseStudy(variants: [.after], seeds: 1, epochs: epochs, recordHistograms: false)
        let (train, test) = (study.train, study.test)
        var serial: [Double] = [], together: [Double] = []
        var identical = true
        for _ in 0..<repetitions {
            var aloneAccuracy: [Double] = []
            let start = Date()
            for model in try models(trials) {
                let history = try model.fit(x: train.x, y: train.y, batchSize: 32, epochs: epochs, validationData: (test.x, test.y), verbose: 0)
                aloneAccuracy.append(history.values(of: "val_accuracy")?.last ?? .nan)
            }
            serial.append(Date().timeIntervalSince(start) * 1000)
            let startTogether = Date()
            let results = try Sequential.fitTogether(try models(trials), x: train.x, y: train.y, batchSize: 32, epochs: epochs,
                                                     validationData: (test.x, test.y))
            together.append(Date().timeIntervalSince(startTogether) * 1000)
            let accuracy = results.map { (try? $0.get().values(of: "val_accuracy")?.last) ?? .nan }
            identical = identical && accuracy.map(\.bitPattern) == aloneAccuracy.map(\.bitPattern)
        }
        return Figures(trials: trials, epochs: epochs, serialMilliseconds: serial.sorted()[serial.count / 2],
                       togetherMilliseconds: together.sorted()[together.count / 2], identical: identical)
    }
}
