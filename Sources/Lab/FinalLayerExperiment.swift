import Models
import Tracking

/// Dauphin & Cubuk (2021): much of BN's regularization comes from keeping the final layer's
/// outputs from growing explosively. Measures the mean ℓ2 norm of the logits ‖f(x)‖ on the test
/// set at initialization and after every epoch, with and without BN, and trains the network
/// without BN with a penalty on that norm (their "functional L2": `λ · mean ‖f(x)‖²`, Keras'
/// activity L2 on the logits layer) to see whether it recovers part of BN's gain in test
/// accuracy and test loss.
public struct FinalLayerExperiment: Sendable {
    public var epochs = 60
    /// Epochs with `--quick`.
    public var quickEpochs = 2
    public var batchSize = 60
    public var learningRate = 0.1
    /// The logit penalties λ tried on the network without BN.
    public var penalties: [Double] = [0.001, 0.01]

    public init() {}

    /// A variant: BN or not, and a logit penalty or none.
    public struct Variant: Encodable, Sendable {
        public var name: String
        public var batchNorm: Bool
        public var logitPenalty: Double?
    }

    public var variants: [Variant] {
        [Variant(name: "plain", batchNorm: false, logitPenalty: nil), Variant(name: "bn", batchNorm: true, logitPenalty: nil)]
            + penalties.map { Variant(name: "plain+logit-l2-\($0)", batchNorm: false, logitPenalty: $0) }
    }

    public func network(_ variant: Variant) -> LabNetwork {
        LabNetwork(activation: .relu, initializer: .heUniform(), batchNorm: variant.batchNorm, logitPenalty: variant.logitPenalty)
    }

    public func run(_ options: LabOptions) throws -> FinalLayerResult {
        let data = try LabData.digits()
        let epochs = options.quick ? quickEpochs : self.epochs
        let seeds = options.seedCount
        let steps = LabTraining.stepsPerEpoch(data, batchSize: batchSize)
        var results: [FinalLayerResult.VariantResult] = []
        for variant in variants {
            let network = network(variant)
            var perSeed: [FinalLayerCurves] = []
            for seed in 1...seeds {
                var config: RunConfig = ["experiment": "final-layer", "variant": .string(variant.name), "network": .string(network.summary), "seed": .int(seed),
                                         "learning_rate": .double(learningRate), "batch_size": .int(batchSize), "epochs": .int(epochs)]
                config["logit_penalty"] = variant.logitPenalty.map { .double($0) }
                let run = try options.startRun(.finalLayer, name: "\(variant.name)-seed\(seed)", config: config, group: variant.name)
                let curves = FinalLayerCurves()
                let probe = EpochProbe(run: run) { _, training in try curves.measure(training.model, data: data) }
                curves.diverged = try LabTraining.fit(network.model(seed: UInt64(seed)), data: data, optimizer: SGD(learningRate: .constant(learningRate)),
                                                      epochs: epochs, batchSize: batchSize, run: run, callbacks: [probe])
                perSeed.append(curves)
                options.log("final-layer \(variant.name) seed \(seed): logit norm \(format(curves.logitNorm.first ?? .nan)) → \(format(curves.logitNorm.last ?? .nan)), test accuracy \(format(curves.testAccuracy.last ?? .nan)), test loss \(format(curves.testLoss.last ?? .nan))")
            }
            results.append(.init(variant: variant, network: network.summary, steps: (0...epochs).map { $0 * steps }, seeds: perSeed))
        }
        let result = FinalLayerResult(epochs: epochs, batchSize: batchSize, learningRate: learningRate, variants: results)
        result.files = try options.write(result, figures: result.figures())
        return result
    }
}

/// One seed's probes: the logits' mean norm, and accuracy and loss on both sets.
final class FinalLayerCurves: @unchecked Sendable {
    /// Why the run diverged, nil when it did not.
    var diverged: String?
    var logitNorm: [Double] = []
    var batchLogitNorm: [Double] = []

    /// The mean over rows of ‖f(x)‖₂, the logits of `x` in `mode` (training: `x` is one batch).
    static func meanLogitNorm(_ model: Sequential, _ x: Matrix, mode: ForwardMode) throws -> Double {
        guard let logits = try model.layerOutputs(x: x, layers: ["logits"], mode: mode)["logits"] else { return .nan }
        var total = 0.0
        for row in 0..<logits.rows { total += LabStatistics.norm([Array(try logits[row: row])]) }
        return total / Double(Swift.max(logits.rows, 1))
    }
    var testAccuracy: [Double] = []
    var testLoss: [Double] = []
    var trainAccuracy: [Double] = []
    var trainLoss: [Double] = []

    func measure(_ model: Sequential, data: LabData) throws -> [String: Double] {
        logitNorm.append(try Self.meanLogitNorm(model, data.test.x, mode: .inference))
        batchLogitNorm.append(try Self.meanLogitNorm(model, data.test.x, mode: .training))
        let test = try model.evaluate(x: data.test.x, y: data.test.y, batchSize: 1024)
        let train = try model.evaluate(x: data.train.x, y: data.train.y, batchSize: 1024)
        testAccuracy.append(test["accuracy"] ?? .nan)
        testLoss.append(test["loss"] ?? .nan)
        trainAccuracy.append(train["accuracy"] ?? .nan)
        trainLoss.append(train["loss"] ?? .nan)
        return ["logit_norm": logitNorm.last ?? .nan, "logit_norm_training_mode": batchLogitNorm.last ?? .nan, "test_accuracy": testAccuracy.last ?? .nan, "test_loss": testLoss.last ?? .nan,
                "train_accuracy": trainAccuracy.last ?? .nan, "train_loss": trainLoss.last ?? .nan]
    }
}

/// The numbers of `temper lab final-layer`.
public final class FinalLayerResult: Encodable, @unchecked Sendable {
    public struct VariantResult: Encodable, Sendable {
        public var variant: FinalLayerExperiment.Variant
        public var network: String
        public var steps: [Int]
        /// The mean ℓ2 norm of the logits over the test set (inference mode), per probe.
        public var logitNorm: SeedBand
        /// The same in training mode (the test set as one batch: BN normalizes by its statistics).
        public var logitNormTrainingMode: SeedBand
        public var testAccuracy: SeedBand
        public var testLoss: SeedBand
        public var trainAccuracy: SeedBand
        /// Per seed: the norm at initialization and at the end; the final accuracies and test loss.
        public var initialLogitNorm: [Double]
        public var initialLogitNormTrainingMode: [Double]
        public var finalLogitNorm: [Double]
        public var finalTestAccuracy: [Double]
        public var finalTestLoss: [Double]
        public var finalTrainAccuracy: [Double]
        /// Per seed: whether the run diverged (its loss became NaN or infinite; it stopped there).
        public var diverged: [Bool]

        init(variant: FinalLayerExperiment.Variant, network: String, steps: [Int], seeds: [FinalLayerCurves]) {
            self.variant = variant
            self.network = network
            self.steps = steps
            logitNorm = SeedBand(steps: steps, perSeed: seeds.map(\.logitNorm))
            logitNormTrainingMode = SeedBand(steps: steps, perSeed: seeds.map(\.batchLogitNorm))
            initialLogitNormTrainingMode = seeds.map { $0.batchLogitNorm.first ?? .nan }
            testAccuracy = SeedBand(steps: steps, perSeed: seeds.map(\.testAccuracy))
            testLoss = SeedBand(steps: steps, perSeed: seeds.map(\.testLoss))
            trainAccuracy = SeedBand(steps: steps, perSeed: seeds.map(\.trainAccuracy))
            initialLogitNorm = seeds.map { $0.logitNorm.first ?? .nan }
            finalLogitNorm = seeds.map { $0.logitNorm.last ?? .nan }
            finalTestAccuracy = seeds.map { $0.testAccuracy.last ?? .nan }
            finalTestLoss = seeds.map { $0.testLoss.last ?? .nan }
            finalTrainAccuracy = seeds.map { $0.trainAccuracy.last ?? .nan }
            diverged = seeds.map { $0.diverged != nil }
        }
    }

    public let experiment = LabExperiment.finalLayer.rawValue
    public let claim = "Dauphin & Cubuk (2021): BN's regularization comes largely from preventing explosive growth of the final layer's outputs; a penalty on them recovers part of BN's generalization gain."
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var variants: [VariantResult]
    public var files: [String] = []

    init(epochs: Int, batchSize: Int, learningRate: Double, variants: [VariantResult]) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.variants = variants
    }

    func figures() -> [(file: String, svg: String)] {
        func curves(_ value: (VariantResult) -> SeedBand) -> [(name: String, band: SeedBand)] { variants.map { ($0.variant.name, value($0)) } }
        return [
            (file: "final-layer-logit-norm.svg",
             svg: LabCharts.bands(title: "Mean ‖f(x)‖ of the logits on the test set (inference mode)", yLabel: "ℓ2 norm of the logits", curves: curves(\.logitNorm))),
            (file: "final-layer-logit-norm-training-mode.svg",
             svg: LabCharts.bands(title: "Mean ‖f(x)‖ of the logits, training mode (test set as one batch)", yLabel: "ℓ2 norm of the logits",
                                  curves: curves(\.logitNormTrainingMode))),
            (file: "final-layer-test-accuracy.svg",
             svg: LabCharts.bands(title: "Test accuracy", yLabel: "test accuracy", curves: curves(\.testAccuracy))),
            (file: "final-layer-test-loss.svg",
             svg: LabCharts.bands(title: "Test loss (cross-entropy, no penalty)", yLabel: "test loss", curves: curves(\.testLoss))),
        ]
    }
}
