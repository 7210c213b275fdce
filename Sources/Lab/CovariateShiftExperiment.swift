import Charts
import Models
import Tracking

/// Ioffe & Szegedy (2015), figure 1: three hidden layers of 100 sigmoid units with a small
/// Gaussian initialization, with and without batch normalization, SGD on mini-batches of 60.
/// (a) test accuracy against training steps; (b, c) the 15th, 50th and 85th percentiles of the
/// input to one sigmoid of the last hidden layer over training; and, over all 100 units of that
/// layer, how far their medians travel — the "internal covariate shift" BN was meant to reduce.
public struct CovariateShiftExperiment: Sendable {
    public var epochs = 80
    /// Epochs with `--quick`.
    public var quickEpochs = 3
    public var batchSize = 60
    public var learningRate = 0.5
    public var initialStddev = 0.1
    /// Which unit of the last hidden layer figures (b) and (c) follow.
    public var unit = 0
    /// Rows of the test set the percentiles are taken over (training mode: one batch of them).
    public var probeRows = 360

    public init() {}

    public func network(batchNorm: Bool) -> LabNetwork {
        LabNetwork(activation: .sigmoid, initializer: .randomNormal(mean: 0, stddev: initialStddev), batchNorm: batchNorm)
    }

    public func run(_ options: LabOptions) throws -> CovariateShiftResult {
        let data = try LabData.digits()
        let epochs = options.quick ? quickEpochs : self.epochs
        let seeds = options.seedCount
        let steps = LabTraining.stepsPerEpoch(data, batchSize: batchSize)
        let probe = try data.test.x.rows(0..<Swift.min(probeRows, data.test.x.rows))
        var variants: [CovariateShiftResult.Variant] = []
        for batchNorm in [false, true] {
            let network = network(batchNorm: batchNorm)
            let name = batchNorm ? "bn" : "plain"
            var perSeed: [SeedCurves] = []
            for seed in 1...seeds {
                let model = network.model(seed: UInt64(seed))
                let layer = network.preActivationLayer(network.hidden)
                let run = try options.startRun(.covariateShift, name: "\(name)-seed\(seed)", config: config(network, name, seed, epochs), group: name)
                let curves = SeedCurves()
                let probeCallback = EpochProbe(run: run) { _, training in
                    try curves.measure(training.model, layer: layer, unit: unit, probe: probe, data: data)
                }
                curves.diverged = try LabTraining.fit(model, data: data, optimizer: SGD(learningRate: .constant(learningRate)), epochs: epochs,
                                                      batchSize: batchSize, run: run, callbacks: [probeCallback])
                perSeed.append(curves)
                options.log("covariate-shift \(name) seed \(seed): test accuracy \(format(curves.accuracy.last ?? .nan)), median travel \(format(curves.relativeTravel))")
            }
            variants.append(.init(name: name, network: network.summary, steps: (0...epochs).map { $0 * steps }, seeds: perSeed))
        }
        let result = CovariateShiftResult(epochs: epochs, stepsPerEpoch: steps, batchSize: batchSize, learningRate: learningRate,
                                          initialStddev: initialStddev, unit: unit, probeRows: probe.rows, variants: variants)
        result.files = try options.write(result, figures: result.figures())
        return result
    }

    private func config(_ network: LabNetwork, _ name: String, _ seed: Int, _ epochs: Int) -> RunConfig {
        ["experiment": "covariate-shift", "variant": .string(name), "network": .string(network.summary), "seed": .int(seed),
         "learning_rate": .double(learningRate), "batch_size": .int(batchSize), "epochs": .int(epochs), "initial_stddev": .double(initialStddev)]
    }
}

/// What one seed's run measured at each probe (epoch 0 = before training).
final class SeedCurves: @unchecked Sendable {
    /// Why the run diverged (its loss became NaN or infinite), nil when it did not.
    var diverged: String?
    var accuracy: [Double] = []
    var p15: [Double] = []
    var p50: [Double] = []
    var p85: [Double] = []
    /// Per probe, every unit's median, and every unit's 15–85 spread.
    var unitMedians: [[Double]] = []
    var unitSpreads: [[Double]] = []

    func measure(_ model: Sequential, layer: String, unit: Int, probe: Matrix, data: LabData) throws -> [String: Double] {
        guard let inputs = try model.layerOutputs(x: probe, layers: [layer], mode: .training)[layer] else { return [:] }
        var medians: [Double] = [], spreads: [Double] = []
        for j in 0..<inputs.columns {
            let sorted = try inputs.column(j).map(Double.init).sorted()
            let (low, median, high) = (LabStatistics.percentileOfSorted(sorted, 15), LabStatistics.percentileOfSorted(sorted, 50), LabStatistics.percentileOfSorted(sorted, 85))
            medians.append(median)
            spreads.append(high - low)
            if j == unit {
                p15.append(low)
                p50.append(median)
                p85.append(high)
            }
        }
        unitMedians.append(medians)
        unitSpreads.append(spreads)
        accuracy.append(try LabTraining.testAccuracy(model, data))
        return ["test_accuracy": accuracy.last ?? .nan, "sigmoid_input_p15": p15.last ?? .nan, "sigmoid_input_p50": p50.last ?? .nan,
                "sigmoid_input_p85": p85.last ?? .nan]
    }

    /// How far the units' medians moved after the first epoch, summed over epochs and averaged
    /// over units, in units of each unit's final 15–85 spread.
    var relativeTravel: Double {
        guard unitMedians.count > 2, let finalSpreads = unitSpreads.last else { return .nan }
        var total = 0.0
        for j in finalSpreads.indices {
            var travel = 0.0
            for t in 2..<unitMedians.count { travel += Swift.abs(unitMedians[t][j] - unitMedians[t - 1][j]) }
            total += travel / Swift.max(finalSpreads[j], 1e-12)
        }
        return total / Double(finalSpreads.count)
    }
}

/// The numbers of `temper lab covariate-shift`.
public final class CovariateShiftResult: Encodable, @unchecked Sendable {
    public struct Variant: Encodable, Sendable {
        public var name: String
        public var network: String
        /// Training steps of the probes (0 = before training, then every epoch's end).
        public var steps: [Int]
        public var testAccuracy: SeedBand
        public var p15: SeedBand
        public var p50: SeedBand
        public var p85: SeedBand
        /// Per seed: the units' median travel after epoch 1 relative to their final 15–85 spread.
        public var relativeMedianTravel: [Double]
        /// Per seed: the final test accuracy, and the first step where it reached 90% (nil: never).
        public var finalTestAccuracy: [Double]
        public var stepsTo90Percent: [Int?]
        /// Per seed: whether the run diverged (its loss became NaN or infinite; it stopped there).
        public var diverged: [Bool]

        init(name: String, network: String, steps: [Int], seeds: [SeedCurves]) {
            self.name = name
            self.network = network
            self.steps = steps
            testAccuracy = SeedBand(steps: steps, perSeed: seeds.map(\.accuracy))
            p15 = SeedBand(steps: steps, perSeed: seeds.map(\.p15))
            p50 = SeedBand(steps: steps, perSeed: seeds.map(\.p50))
            p85 = SeedBand(steps: steps, perSeed: seeds.map(\.p85))
            relativeMedianTravel = seeds.map(\.relativeTravel)
            finalTestAccuracy = seeds.map { $0.accuracy.last ?? .nan }
            stepsTo90Percent = seeds.map { s in s.accuracy.firstIndex { $0 >= 0.9 }.map { steps[$0] } }
            diverged = seeds.map { $0.diverged != nil }
        }
    }

    public let experiment = LabExperiment.covariateShift.rawValue
    public let claim = "Ioffe & Szegedy (2015): BN reduces internal covariate shift (the input distribution of each sigmoid stays put) and speeds up training."
    public var epochs: Int
    public var stepsPerEpoch: Int
    public var batchSize: Int
    public var learningRate: Double
    public var initialStddev: Double
    public var unit: Int
    public var probeRows: Int
    public var variants: [Variant]
    /// The files written (figures and JSON).
    public var files: [String] = []

    init(epochs: Int, stepsPerEpoch: Int, batchSize: Int, learningRate: Double, initialStddev: Double, unit: Int, probeRows: Int, variants: [Variant]) {
        self.epochs = epochs
        self.stepsPerEpoch = stepsPerEpoch
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.initialStddev = initialStddev
        self.unit = unit
        self.probeRows = probeRows
        self.variants = variants
    }

    func figures() -> [(file: String, svg: String)] {
        var figures = [(file: "covariate-shift-accuracy.svg",
                        svg: LabCharts.bands(title: "(a) Test accuracy, sigmoid MLP (\(variants.first.map { "\($0.testAccuracy.steps.count - 1)" } ?? "0") epochs)",
                                             yLabel: "test accuracy", curves: variants.map { ($0.name == "bn" ? "with BN" : "without BN", $0.testAccuracy) }))]
        for (index, variant) in variants.enumerated() {
            let letter = index == 0 ? "b" : "c"
            figures.append((file: "covariate-shift-sigmoid-input-\(variant.name).svg",
                            svg: LabCharts.bands(title: "(\(letter)) Input to sigmoid \(unit) of the last hidden layer, \(variant.name == "bn" ? "with" : "without") BN",
                                                 yLabel: "15th, 50th, 85th percentile", curves: [("15th", variant.p15), ("50th", variant.p50), ("85th", variant.p85)])))
        }
        return figures
    }
}

func format(_ value: Double) -> String { value.isFinite ? String(format: "%.3f", value) : "\(value)" }
