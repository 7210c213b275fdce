import Models
import Tracking

/// Santurkar et al. (2018), figure 4 and section 2.1. At every epoch's end, on a fresh batch of
/// 60 training rows, take the gradient g = ∇L(w) and move along it: for step sizes η (multiples of
/// the learning rate) record L(w − ηg) and ∇L(w − ηg) (training mode, nothing changed). Then
/// (a) "loss landscape": the range of the loss over the steps; (b) "gradient predictiveness":
/// the largest ‖∇L(w − ηg) − g‖; (c) "effective β-smoothness": the largest
/// ‖∇L(w − ηg) − g‖ / ‖ηg‖. With and without BN, and with "noisy BN" (noise of a distribution
/// that changes every step after each BN: covariate shift made on purpose), whose accuracy and
/// distribution travel say whether covariate shift is what BN removes.
public struct SmoothnessExperiment: Sendable {
    public var epochs = 30
    /// Epochs with `--quick`.
    public var quickEpochs = 2
    public var batchSize = 60
    public var learningRate = 0.1
    /// Step sizes as multiples of the learning rate.
    public var stepMultiples: [Double] = [0.25, 0.5, 1, 2, 4]
    public var noiseShift = 1.0
    public var noiseSpread = 1.0

    public init() {}

    public enum Variant: String, CaseIterable, Sendable, Encodable {
        case plain
        case bn
        case noisyBN = "noisy-bn"
    }

    public func network(_ variant: Variant) -> LabNetwork {
        LabNetwork(activation: .relu, initializer: .heUniform(), batchNorm: variant != .plain,
                   noise: variant == .noisyBN ? (noiseShift, noiseSpread) : nil)
    }

    public func run(_ options: LabOptions) throws -> SmoothnessResult {
        let data = try LabData.digits()
        let epochs = options.quick ? quickEpochs : self.epochs
        let seeds = options.seedCount
        let steps = LabTraining.stepsPerEpoch(data, batchSize: batchSize)
        let probe = try data.test.x.rows(0..<data.test.x.rows)
        var variants: [SmoothnessResult.VariantResult] = []
        for variant in Variant.allCases {
            let network = network(variant)
            var perSeed: [(SmoothnessCurves, SeedCurves)] = []
            for seed in 1...seeds {
                let run = try options.startRun(.smoothness, name: "\(variant.rawValue)-seed\(seed)", config: config(network, variant, seed, epochs), group: variant.rawValue)
                let landscape = SmoothnessCurves(), distribution = SeedCurves()
                let layer = network.preActivationLayer(network.hidden)
                let probeCallback = EpochProbe(run: run) { step, training in
                    let batch = try data.trainingBatch(batchSize, seed: UInt64(seed) &* 1_000_003 &+ UInt64(step))
                    var values = try landscape.measure(training.model, batch: batch, steps: stepMultiples.map { $0 * learningRate })
                    values.merge(try distribution.measure(training.model, layer: layer, unit: 0, probe: probe, data: data)) { first, _ in first }
                    return values
                }
                distribution.diverged = try LabTraining.fit(network.model(seed: UInt64(seed)), data: data, optimizer: SGD(learningRate: .constant(learningRate)),
                                                            epochs: epochs, batchSize: batchSize, run: run, callbacks: [probeCallback])
                perSeed.append((landscape, distribution))
                options.log("smoothness \(variant.rawValue) seed \(seed): test accuracy \(format(distribution.accuracy.last ?? .nan)), mean β-smoothness \(format(LabStatistics.mean(landscape.beta)))")
            }
            variants.append(.init(variant: variant, network: network.summary, steps: (0...epochs).map { $0 * steps }, seeds: perSeed))
        }
        let result = SmoothnessResult(epochs: epochs, batchSize: batchSize, learningRate: learningRate, stepSizes: stepMultiples.map { $0 * learningRate },
                                      noise: [noiseShift, noiseSpread], variants: variants)
        result.files = try options.write(result, figures: result.figures())
        return result
    }

    private func config(_ network: LabNetwork, _ variant: Variant, _ seed: Int, _ epochs: Int) -> RunConfig {
        ["experiment": "smoothness", "variant": .string(variant.rawValue), "network": .string(network.summary), "seed": .int(seed),
         "learning_rate": .double(learningRate), "batch_size": .int(batchSize), "epochs": .int(epochs)]
    }
}

/// One seed's landscape probes, one value per probe.
final class SmoothnessCurves: @unchecked Sendable {
    var lossLow: [Double] = []
    var lossHigh: [Double] = []
    var gradientChange: [Double] = []
    var beta: [Double] = []

    func measure(_ model: Sequential, batch: (x: Matrix, y: Matrix), steps: [Double]) throws -> [String: Double] {
        let (loss, gradient) = try model.lossAndGradients(x: batch.x, y: batch.y)
        let names = gradient.keys.sorted()
        let weights = try model.weights()
        let g = names.map { gradient[$0] ?? [] }
        let gradientNorm = LabStatistics.norm(g)
        var losses = [loss], change = 0.0, beta = 0.0
        for eta in steps {
            var moved: [String: [Float]] = [:]
            for (name, values) in zip(names, g) {
                guard let w = weights[name] else { continue }
                moved[name] = zip(w, values).map { $0 - Float(eta) * $1 }
            }
            let (movedLoss, movedGradient) = try model.lossAndGradients(x: batch.x, y: batch.y, weights: moved)
            let distance = LabStatistics.distance(names.map { movedGradient[$0] ?? [] }, g)
            losses.append(movedLoss)
            change = Swift.max(change, distance)
            beta = Swift.max(beta, distance / Swift.max(eta * gradientNorm, 1e-30))
        }
        let finite = losses.filter(\.isFinite)
        lossLow.append(finite.min() ?? .nan)
        lossHigh.append(finite.count == losses.count ? finite.max() ?? .nan : .infinity)
        gradientChange.append(change)
        self.beta.append(beta)
        return ["landscape_loss_min": lossLow.last ?? .nan, "landscape_loss_max": lossHigh.last ?? .nan,
                "gradient_predictiveness": change, "beta_smoothness": beta]
    }
}

/// The numbers of `temper lab smoothness`.
public final class SmoothnessResult: Encodable, @unchecked Sendable {
    public struct VariantResult: Encodable, Sendable {
        public var variant: SmoothnessExperiment.Variant
        public var network: String
        public var steps: [Int]
        /// The range of the loss along the gradient at each probe: its lowest and highest value.
        public var lossLow: SeedBand
        public var lossHigh: SeedBand
        /// The range's width, max − min.
        public var lossVariation: SeedBand
        public var gradientPredictiveness: SeedBand
        public var betaSmoothness: SeedBand
        public var testAccuracy: SeedBand
        /// Per seed: the final test accuracy, and the units' median travel (as in covariate-shift).
        public var finalTestAccuracy: [Double]
        public var relativeMedianTravel: [Double]
        /// Per seed: whether the run diverged (its loss became NaN or infinite; it stopped there).
        public var diverged: [Bool]

        init(variant: SmoothnessExperiment.Variant, network: String, steps: [Int], seeds: [(SmoothnessCurves, SeedCurves)]) {
            self.variant = variant
            self.network = network
            self.steps = steps
            lossLow = SeedBand(steps: steps, perSeed: seeds.map(\.0.lossLow))
            lossHigh = SeedBand(steps: steps, perSeed: seeds.map(\.0.lossHigh))
            lossVariation = SeedBand(steps: steps, perSeed: seeds.map { s in zip(s.0.lossHigh, s.0.lossLow).map { $0 - $1 } })
            gradientPredictiveness = SeedBand(steps: steps, perSeed: seeds.map(\.0.gradientChange))
            betaSmoothness = SeedBand(steps: steps, perSeed: seeds.map(\.0.beta))
            testAccuracy = SeedBand(steps: steps, perSeed: seeds.map(\.1.accuracy))
            finalTestAccuracy = seeds.map { $0.1.accuracy.last ?? .nan }
            relativeMedianTravel = seeds.map(\.1.relativeTravel)
            diverged = seeds.map { $0.1.diverged != nil }
        }

        /// A band's values after the first probe (training under way), averaged over probes and seeds.
        static func average(_ band: SeedBand) -> Double { LabStatistics.mean(Array(band.mean.dropFirst())) }
    }

    public let experiment = LabExperiment.smoothness.rawValue
    public let claim = "Santurkar et al. (2018): BN makes the loss landscape smoother (loss and gradients change less along the gradient); covariate shift added on purpose (noisy BN) barely hurts."
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var stepSizes: [Double]
    /// The noisy BN's shift and spread.
    public var noise: [Double]
    public var variants: [VariantResult]
    public var files: [String] = []

    init(epochs: Int, batchSize: Int, learningRate: Double, stepSizes: [Double], noise: [Double], variants: [VariantResult]) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.stepSizes = stepSizes
        self.noise = noise
        self.variants = variants
    }

    func figures() -> [(file: String, svg: String)] {
        func curves(_ value: (VariantResult) -> SeedBand) -> [(name: String, band: SeedBand)] { variants.map { ($0.variant.rawValue, value($0)) } }
        let steps = stepSizes.map { format($0) }.joined(separator: ", ")
        return [
            (file: "smoothness-loss-landscape.svg",
             svg: LabCharts.bands(title: "(a) Loss landscape: range of L(w − ηg), η ∈ {\(steps)}", yLabel: "max − min of the loss", curves: curves(\.lossVariation))),
            (file: "smoothness-gradient-predictiveness.svg",
             svg: LabCharts.bands(title: "(b) Gradient predictiveness: max ‖∇L(w − ηg) − ∇L(w)‖", yLabel: "ℓ2 change of the gradient", curves: curves(\.gradientPredictiveness))),
            (file: "smoothness-beta.svg",
             svg: LabCharts.bands(title: "(c) Effective β-smoothness: max ‖∇L(w − ηg) − ∇L(w)‖ / ‖ηg‖", yLabel: "β", curves: curves(\.betaSmoothness))),
            (file: "smoothness-noisy-bn-accuracy.svg",
             svg: LabCharts.bands(title: "Test accuracy: plain, BN, and BN with non-stationary noise", yLabel: "test accuracy", curves: curves(\.testAccuracy))),
        ]
    }
}
