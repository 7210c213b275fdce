import ArgumentParser
import Foundation
import Lab
import Runtime
import Tracking

struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Why does batch normalization work? Measure the deck's three papers' claims on the digits.",
        discussion: """
        covariate-shift: Ioffe & Szegedy's figure 1 (sigmoid MLP; accuracy and the input of one sigmoid over training). \
        learning-rate: a learning-rate sweep with and without BN (final accuracy, divergence). \
        smoothness: Santurkar et al.'s loss-landscape, gradient-predictiveness and β-smoothness probes, and their noisy BN. \
        final-layer: Dauphin & Cubuk's final-layer output norm, and a penalty on it. \
        Each writes SVG figures (--out), a JSON of the numbers (--json) and logs every run to the store.
        """,
        subcommands: [LabCovariateShiftCommand.self, LabLearningRateCommand.self, LabSmoothnessCommand.self, LabFinalLayerCommand.self]
    )
}

/// The options every lab command takes.
struct LabArguments: ParsableArguments {
    @Option(help: "Seeds per variant (1, 2, …).")
    var seeds: Int = 5

    @Flag(help: "A few epochs and at most two seeds (under 20 s), for a first look or a test.")
    var quick = false

    @Option(help: "Write the figures (SVG) into this folder (default: lab/<experiment>).")
    var out: String?

    @Option(help: "Write the numbers as JSON to this file (default: <out>/<experiment>.json).")
    var json: String?

    @Option(name: [.customLong("store"), .customLong("dir")],
            help: "The run store to log every run to: a directory, or a postgres:// URL (default: $TEMPER_STORE, else $TEMPER_DIR, else ./temper-runs).")
    var store: String?

    @Flag(help: "Do not log the runs.")
    var noTrack = false

    @Option(help: "The project the runs are logged under (default: lab-<experiment>).")
    var project: String?

    @Option(help: "Threads for OpenBLAS (one is fastest for these small models).")
    var threads: Int = 1

    /// The options, the output paths checked and the store opened before anything trains.
    func options(for experiment: LabExperiment) throws -> LabOptions {
        guard (1...1000).contains(seeds) else { throw ValidationError("--seeds must be from 1 to 1000, not \(seeds)") }
        guard threads > 0 else { throw ValidationError("--threads must be at least 1, not \(threads)") }
        let folder = out ?? "lab/\(experiment.rawValue)"
        let jsonPath = json ?? (folder as NSString).appendingPathComponent("\(experiment.rawValue).json")
        let storePath: String?
        if !noTrack, case .directory(let directory) = StoreLocation(store) { storePath = RunStore.filePath(directory: directory) } else { storePath = nil }
        try BatchNormCaseStudyCommand.preparePictureFolder(folder, protecting: storePath)
        try OutputFile.check(jsonPath, protecting: storePath)
        let tracker = noTrack ? nil : try Tracker(dir: store)
        BLAS.setThreads(threads)
        return try LabOptions(seeds: seeds, quick: quick, out: folder, json: jsonPath, tracker: tracker, project: project)
    }

    /// Waits for the runs to be written and says where everything went.
    func finish(_ options: LabOptions, experiment: LabExperiment, files: [String]) throws {
        print()
        for file in files { print("wrote \(file)") }
        guard let tracker = options.tracker else { return }
        try tracker.waitUntilWritten()
        let storeOption = store.map { " --store \(StoreLocation.redactingPasswords($0))" } ?? ""
        print("logged the runs to \(tracker.store.path); see them with")
        print("  temper runs --project \(options.project ?? "lab-\(experiment.rawValue)")\(storeOption)")
    }
}

struct LabCovariateShiftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "covariate-shift",
        abstract: "Ioffe & Szegedy, figure 1: a sigmoid MLP with and without BN; test accuracy and a sigmoid's input percentiles over training."
    )

    @OptionGroup var lab: LabArguments

    @Option(help: "Epochs per run (24 steps of 60 rows each).")
    var epochs: Int = CovariateShiftExperiment().epochs

    @Option(help: "SGD learning rate.")
    var learningRate: Double = CovariateShiftExperiment().learningRate

    func run() throws {
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, not \(epochs)") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive, not \(learningRate)") }
        let options = try lab.options(for: .covariateShift)
        var experiment = CovariateShiftExperiment()
        experiment.epochs = epochs
        experiment.learningRate = learningRate
        let result = try experiment.run(options)
        print()
        print(LabTables.covariateShift(result))
        try lab.finish(options, experiment: .covariateShift, files: result.files)
    }
}

struct LabLearningRateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learning-rate",
        abstract: "A learning-rate sweep (log scale) with and without BN: final accuracy and divergence. Run it again to resume it.",
        discussion: "The sweep is in the store (temper sweep show ID). Without a store (--no-track) it runs in a temporary one."
    )

    @OptionGroup var lab: LabArguments

    @Option(help: "Epochs per run.")
    var epochs: Int = LearningRateExperiment().epochs

    @Option(help: "Comma-separated learning rates.")
    var learningRates: String = LearningRateExperiment().learningRates.map { String($0) }.joined(separator: ",")

    func run() throws {
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, not \(epochs)") }
        let rates = try learningRates.split(separator: ",").map { text -> Double in
            guard let rate = Double(text.trimmingCharacters(in: .whitespaces)), rate > 0, rate.isFinite else {
                throw ValidationError("--learning-rates: \"\(text)\" is not a positive number; give them like 0.01,0.1,1")
            }
            return rate
        }
        guard !rates.isEmpty, Set(rates).count == rates.count else { throw ValidationError("--learning-rates needs distinct rates, got \(learningRates)") }
        let options = try lab.options(for: .learningRate)
        var experiment = LearningRateExperiment()
        experiment.epochs = epochs
        experiment.learningRates = rates
        let result = try experiment.run(options)
        print()
        print(LabTables.learningRate(result))
        try lab.finish(options, experiment: .learningRate, files: result.files)
        if options.tracker != nil { print("  temper sweep show \(result.sweepID)\(lab.store.map { " --store \(StoreLocation.redactingPasswords($0))" } ?? "")") }
    }
}

struct LabSmoothnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smoothness",
        abstract: "Santurkar et al.: loss-landscape, gradient-predictiveness and β-smoothness probes with and without BN, and noisy BN."
    )

    @OptionGroup var lab: LabArguments

    @Option(help: "Epochs per run.")
    var epochs: Int = SmoothnessExperiment().epochs

    @Option(help: "The noisy BN's per-step mean spread (μ ~ N(0, shift²)).")
    var noiseShift: Double = SmoothnessExperiment().noiseShift

    @Option(help: "The noisy BN's per-step deviation scale (σ = |N(0, spread²)|).")
    var noiseSpread: Double = SmoothnessExperiment().noiseSpread

    func run() throws {
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, not \(epochs)") }
        guard noiseShift >= 0, noiseSpread >= 0, noiseShift.isFinite, noiseSpread.isFinite else {
            throw ValidationError("--noise-shift and --noise-spread must be finite and at least 0, got \(noiseShift) and \(noiseSpread)")
        }
        let options = try lab.options(for: .smoothness)
        var experiment = SmoothnessExperiment()
        experiment.epochs = epochs
        experiment.noiseShift = noiseShift
        experiment.noiseSpread = noiseSpread
        let result = try experiment.run(options)
        print()
        print(LabTables.smoothness(result))
        try lab.finish(options, experiment: .smoothness, files: result.files)
    }
}

struct LabFinalLayerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "final-layer",
        abstract: "Dauphin & Cubuk: the norm of the logits with and without BN, and a penalty on it instead of BN."
    )

    @OptionGroup var lab: LabArguments

    @Option(help: "Epochs per run.")
    var epochs: Int = FinalLayerExperiment().epochs

    @Option(help: "Comma-separated logit penalties λ (λ · mean ‖f(x)‖²) tried without BN.")
    var penalties: String = FinalLayerExperiment().penalties.map { String($0) }.joined(separator: ",")

    func run() throws {
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, not \(epochs)") }
        let values = try penalties.split(separator: ",").map { text -> Double in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite else {
                throw ValidationError("--penalties: \"\(text)\" is not a positive number; give them like 0.001,0.01")
            }
            return value
        }
        guard Set(values).count == values.count else { throw ValidationError("--penalties are given twice: \(penalties)") }
        let options = try lab.options(for: .finalLayer)
        var experiment = FinalLayerExperiment()
        experiment.epochs = epochs
        experiment.penalties = values
        let result = try experiment.run(options)
        print()
        print(LabTables.finalLayer(result))
        try lab.finish(options, experiment: .finalLayer, files: result.files)
    }
}
