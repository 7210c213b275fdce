import CaseStudies
import Foundation
import Models
import Runtime
import Tracking

/// A whole case-study variant as `temper casestudy batchnorm` trains it — 100 epochs of SGD on
/// 500 points with batch 32, then evaluation on the training and test sets after every epoch —
/// timed like `torch_circles.py` times its loop (model construction and compilation excluded).
public enum CaseStudyBenchmark {
    public struct Figures: Codable, Sendable {
        public var variant: String
        public var epochs: Int
        /// Median milliseconds for the whole `fit` (all epochs, both evaluations).
        public var millisecondsPerRun: Double
        public var microsecondsPerStep: Double
        public var finalTestAccuracy: Double
    }

    public static func run(variant: BatchNormVariant = .after, epochs: Int = 100, repetitions: Int = 5) throws -> Figures {
        let study = try BatchNormCaseStudy(variants: [variant], seeds: 1, epochs: epochs, recordHistograms: false)
        var samples: [Double] = []
        var accuracy = 0.0
        for repetition in 0..<repetitions {
            let run = try study.run(variant, seed: UInt64(repetition + 1))
            samples.append(run.millisecondsPerEpoch * Double(epochs))
            accuracy = run.testAccuracy.last ?? .nan
        }
        samples.sort()
        let median = samples[samples.count / 2]
        let steps = Double(epochs * ((study.train.count + 31) / 32))
        return Figures(variant: variant.rawValue, epochs: epochs, millisecondsPerRun: median, microsecondsPerStep: median * 1000 / steps,
                       finalTestAccuracy: accuracy)
    }

    /// What logging costs: the same variant trained with and without a `TrackingCallback` (weights
    /// and gradient histograms on, a throwaway store), median milliseconds per run each.
    public struct LoggingFigures: Codable, Sendable {
        public var millisecondsWithout: Double
        public var millisecondsWith: Double
        public var overheadPercent: Double { (millisecondsWith / millisecondsWithout - 1) * 100 }
    }

    public static func loggingOverhead(epochs: Int = 100, repetitions: Int = 7) throws -> LoggingFigures {
        let study = try BatchNormCaseStudy(variants: [.after], seeds: 1, epochs: epochs, recordHistograms: false)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("temper-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tracker = try Tracker(dir: directory)
        var without: [Double] = [], with: [Double] = []
        for repetition in 0..<repetitions {
            let seed = UInt64(repetition + 1)
            without.append(try study.run(.after, seed: seed).millisecondsPerEpoch * Double(epochs))
            let run = try tracker.start(project: "bench", name: "logging-\(repetition)")
            with.append(try study.run(.after, seed: seed, callbacks: [TrackingCallback(run)]).millisecondsPerEpoch * Double(epochs))
        }
        without.sort()
        with.sort()
        return LoggingFigures(millisecondsWithout: without[repetitions / 2], millisecondsWith: with[repetitions / 2])
    }
}
