import Charts
import Foundation
import Models

/// The models of the deck's batch-normalization case study ("Better Deep Learning", last part):
/// circles, Dense 50 (He-uniform, ReLU) → Dense 1 (sigmoid), SGD lr 0.01 momentum 0.9, batch 32,
/// binary cross-entropy, and where batch normalization goes.
public enum BatchNormVariant: String, CaseIterable, Sendable, Codable {
    /// No batch normalization.
    case none
    /// Dense → BN → ReLU: the original paper's placement.
    case before
    /// Dense + ReLU → BN.
    case after
    /// As `after`, BN without β and γ (`center: false, scale: false`).
    case noCenterScale = "no-center-scale"
    /// As `after`, BN with momentum 0: the moving statistics are the last batch's.
    case noMomentum = "no-momentum"
    /// BN on the raw inputs, then the plain model.
    case input

    /// One line on what the variant is.
    public var summary: String {
        switch self {
        case .none: return "Dense(50, relu) → Dense(1, sigmoid)"
        case .before: return "Dense(50) → BN → ReLU → Dense(1, sigmoid)"
        case .after: return "Dense(50, relu) → BN → Dense(1, sigmoid)"
        case .noCenterScale: return "Dense(50, relu) → BN(center: false, scale: false) → Dense(1, sigmoid)"
        case .noMomentum: return "Dense(50, relu) → BN(momentum: 0) → Dense(1, sigmoid)"
        case .input: return "BN(inputs) → Dense(50, relu) → Dense(1, sigmoid)"
        }
    }

    /// The variant's model, with initial weights drawn from `seed`.
    public func model(seed: UInt64) -> Sequential {
        let he = Initializer.heUniform()
        switch self {
        case .none:
            return Sequential(name: "sequential_none", seed: seed) {
                Dense(50, activation: .relu, kernelInitializer: he, inputShape: [2])
                Dense(1, activation: .sigmoid)
            }
        case .before:
            return Sequential(name: "sequential_before", seed: seed) {
                Dense(50, kernelInitializer: he, inputShape: [2])
                BatchNormalization()
                Activation(.relu)
                Dense(1, activation: .sigmoid)
            }
        case .after, .noCenterScale, .noMomentum:
            let bn = self == .noCenterScale ? BatchNormalization(center: false, scale: false)
                : self == .noMomentum ? BatchNormalization(momentum: 0) : BatchNormalization()
            return Sequential(name: "sequential_\(rawValue.replacingOccurrences(of: "-", with: "_"))", seed: seed) {
                Dense(50, activation: .relu, kernelInitializer: he, inputShape: [2])
                bn
                Dense(1, activation: .sigmoid)
            }
        case .input:
            return Sequential(name: "sequential_input", seed: seed) {
                BatchNormalization(inputShape: [2])
                Dense(50, activation: .relu, kernelInitializer: he)
                Dense(1, activation: .sigmoid)
            }
        }
    }
}

/// One training run of one variant with one seed.
public struct CaseStudyRun: Sendable {
    public var variant: BatchNormVariant
    public var seed: UInt64
    public var history: History
    /// Per epoch: training accuracy as Keras reports it (running mean over the epoch, training mode).
    public var runningTrainAccuracy: [Double] { history.values(of: "accuracy") ?? [] }
    /// Per epoch: accuracy on the whole training set after the epoch, in inference mode.
    public var endOfEpochTrainAccuracy: [Double] { history.values(of: "end_of_epoch_accuracy") ?? [] }
    /// Per epoch: accuracy on the test set (inference mode).
    public var testAccuracy: [Double] { history.values(of: "val_accuracy") ?? [] }
    /// Milliseconds per epoch of `fit` (training, both evaluations and bookkeeping; histogram capture excluded).
    public var millisecondsPerEpoch: Double
    /// Per epoch: histograms of the first Dense layer's kernel and of its gradient on the epoch's last batch.
    public var weightHistograms: [Histogram]
    public var gradientHistograms: [Histogram]

    /// The first epoch (from 1) at which both the training accuracy (the given definition) and the
    /// test accuracy are at least `threshold`, or nil.
    public func firstEpochReaching(_ threshold: Double, endOfEpoch: Bool) -> Int? {
        let train = endOfEpoch ? endOfEpochTrainAccuracy : runningTrainAccuracy
        return zip(train, testAccuracy).enumerated().first { $0.element.0 >= threshold && $0.element.1 >= threshold }.map { $0.offset + 1 }
    }
}

/// The deck's batch-normalization case study: every chosen variant trained with every seed.
public struct BatchNormCaseStudy: Sendable {
    public var variants: [BatchNormVariant]
    public var seeds: Int
    public var epochs: Int
    /// Capture per-epoch histograms of the first layer's weights and gradients.
    public var recordHistograms: Bool
    public let train: Dataset
    public let test: Dataset
    /// The accuracy the deck's claim is about.
    public static let threshold = 0.8

    public init(variants: [BatchNormVariant] = BatchNormVariant.allCases, seeds: Int = 5, epochs: Int = 100, recordHistograms: Bool = true) throws {
        self.variants = variants
        self.seeds = seeds
        self.epochs = epochs
        self.recordHistograms = recordHistograms
        let data = try Self.circles()
        train = try data.rows(0..<500)
        test = try data.rows(500..<1000)
    }

    /// The deck's circles: 1000 rows, first 500 train, last 500 test (shipped with Temper).
    public static func circles() throws -> Dataset {
        try Dataset.csv(path: try ShippedFiles.url(module: "CaseStudies", path: "Resources/circles.csv").path, target: "label")
    }

    /// Trains one variant with one seed (the seed draws the initial weights and the batch order).
    public func run(_ variant: BatchNormVariant, seed: UInt64, callbacks: [Callback] = []) throws -> CaseStudyRun {
        let model = variant.model(seed: seed)
        try model.compile(optimizer: SGD(learningRate: 0.01, momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
        let recorder = recordHistograms ? FirstLayerHistograms() : nil
        let started = Date()
        let history = try model.fit(x: train.x, y: train.y, batchSize: 32, epochs: epochs, validationData: (test.x, test.y), seed: seed,
                                    callbacks: callbacks + [recorder].compactMap { $0 }, verbose: 0)
        let seconds = Date().timeIntervalSince(started) - (recorder?.seconds ?? 0)
        return CaseStudyRun(variant: variant, seed: seed, history: history, millisecondsPerEpoch: seconds * 1000 / Double(Swift.max(history.epochs.count, 1)),
                            weightHistograms: recorder?.weights ?? [], gradientHistograms: recorder?.gradients ?? [])
    }
}

/// Records, after every epoch, histograms of the first Dense layer's kernel and of its gradient on
/// the epoch's last training batch — the deck's W&B `parameters/…` and `gradients/…` panels.
final class FirstLayerHistograms: Callback {
    var readsModelAtBatchEnd: Bool { false }
    var weights: [Histogram] = []
    var gradients: [Histogram] = []
    var seconds = 0.0
    var wantsBatchGradients: Bool { true }

    func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {
        let started = Date()
        defer { seconds += Date().timeIntervalSince(started) }
        guard let dense = training.model.layers.first(where: { $0 is Dense }) else { return }
        let name = "\(dense.name)/kernel"
        // Read in place: no copy of every weight and gradient to use one of each.
        guard let kernel = try training.parameterViews().first(where: { $0.name == name }) else { return }
        weights.append(kernel.view.withFloats { Histogram(of: Array($0), bins: 32) })
        if let index = training.lastBatchGradientNames.firstIndex(of: name) {
            gradients.append(try training.withLastBatchGradient(index) { Histogram(of: Array($0), bins: 32) })
        }
    }
}
