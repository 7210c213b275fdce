import Charts
import Foundation
import Tracking
import Tuning

/// The numbers of `temper lab learning-rate`, read back from the sweep's runs in the store.
public final class LearningRateResult: Encodable, @unchecked Sendable {
    /// One learning rate with or without BN: every seed's final test accuracy and whether it diverged.
    public struct Point: Encodable, Sendable {
        public var learningRate: Double
        public var batchNorm: Bool
        public var trial: Int
        public var trialState: String
        /// Per seed (finished runs of the trial), the last epoch's test accuracy.
        public var finalTestAccuracy: [Double]
        /// Per seed: the last epoch's training loss was not finite or above `divergenceLoss`.
        public var diverged: [Bool]

        public var meanAccuracy: Double { LabStatistics.mean(finalTestAccuracy) }
        public var divergedFraction: Double { diverged.isEmpty ? .nan : Double(diverged.filter { $0 }.count) / Double(diverged.count) }
    }

    /// Per variant: the best mean accuracy, at which rate, and how far up the rates go.
    public struct Summary: Encodable, Sendable {
        public var batchNorm: Bool
        public var bestMeanAccuracy: Double
        public var bestLearningRate: Double
        /// The largest rate at which no seed diverged.
        public var largestStableLearningRate: Double?
        /// The largest rate whose mean accuracy is within 0.02 of the best.
        public var largestGoodLearningRate: Double?
        /// The smallest rate at which some seed diverged.
        public var smallestDivergingLearningRate: Double?
    }

    public let experiment = LabExperiment.learningRate.rawValue
    public let claim = "Ioffe & Szegedy (2015): BN allows much higher learning rates without the risk of divergence."
    public let divergenceLoss = LearningRateExperiment.divergenceLoss
    public var sweepID: String
    /// False when no store was given: the sweep ran in a temporary store, now gone.
    public var keptInStore: Bool
    public var epochs: Int
    public var batchSize: Int
    public var points: [Point]
    public var summaries: [Summary]
    public var files: [String] = []

    init(sweep: Sweep, runs: [RunInfo], epochs: Int, batchSize: Int, keptInStore: Bool) throws {
        sweepID = sweep.info.id
        self.keptInStore = keptInStore
        self.epochs = epochs
        self.batchSize = batchSize
        let byID = Dictionary(runs.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        points = try sweep.trials().compactMap { trial -> Point? in
            guard case .double(let rate)? = trial.config["learning_rate"], case .bool(let bn)? = trial.config["batch_norm"] else { return nil }
            let finished = trial.countedRuns(byID)
            return Point(learningRate: rate, batchNorm: bn, trial: trial.number, trialState: trial.state.rawValue,
                         finalTestAccuracy: finished.map { $0.summary["val_accuracy"]?.last ?? .nan },
                         diverged: finished.map { run in run.summary["loss"].map { !$0.last.isFinite || $0.last > LearningRateExperiment.divergenceLoss } ?? true })
        }.sorted { ($0.batchNorm ? 1 : 0, $0.learningRate) < ($1.batchNorm ? 1 : 0, $1.learningRate) }
        let points = self.points
        summaries = [false, true].compactMap { bn in Self.summary(points.filter { $0.batchNorm == bn }, batchNorm: bn) }
    }

    private static func summary(_ points: [Point], batchNorm: Bool) -> Summary? {
        guard let best = points.filter({ $0.meanAccuracy.isFinite }).max(by: { $0.meanAccuracy < $1.meanAccuracy }) else { return nil }
        return Summary(batchNorm: batchNorm, bestMeanAccuracy: best.meanAccuracy, bestLearningRate: best.learningRate,
                       largestStableLearningRate: points.filter { !$0.diverged.isEmpty && !$0.diverged.contains(true) }.map(\.learningRate).max(),
                       largestGoodLearningRate: points.filter { $0.meanAccuracy >= best.meanAccuracy - 0.02 }.map(\.learningRate).max(),
                       smallestDivergingLearningRate: points.filter { $0.diverged.contains(true) }.map(\.learningRate).min())
    }

    func figures() -> [(file: String, svg: String)] {
        func curve(_ bn: Bool, _ value: (Point) -> (mean: Double, low: Double, high: Double)) -> (name: String, points: [(x: Double, mean: Double, low: Double, high: Double)]) {
            (bn ? "with BN" : "without BN", points.filter { $0.batchNorm == bn }.map { p in let v = value(p); return (log10(p.learningRate), v.mean, v.low, v.high) })
        }
        let accuracy = [false, true].map { bn in
            curve(bn) { p in
                let finite = p.finalTestAccuracy.filter(\.isFinite)
                return (p.meanAccuracy, finite.min() ?? .nan, finite.max() ?? .nan)
            }
        }
        let divergence = [false, true].map { bn in curve(bn) { p in (p.divergedFraction, p.divergedFraction, p.divergedFraction) } }
        return [(file: "learning-rate-accuracy.svg",
                 svg: LabCharts.lines(title: "Final test accuracy after \(epochs) epochs against the learning rate (SGD)", xLabel: "log10 learning rate",
                                      yLabel: "test accuracy (mean; band: seeds' range)", curves: accuracy)),
                (file: "learning-rate-divergence.svg",
                 svg: LabCharts.lines(title: "Runs that diverged (loss NaN, infinite, or above 3·ln 10 at the end)", xLabel: "log10 learning rate",
                                      yLabel: "fraction of seeds", curves: divergence))]
    }
}
