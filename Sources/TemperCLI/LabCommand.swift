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

    @Flag(help: "A few epochs and at most two seeds (about a second), for a first look or a test; explicit --epochs and rates still apply.")
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

    /// The options: every value checked, the store opened, the folder made and every output path
    /// checked (not the store, not a folder, writable) before anything trains.
    func options(for experiment: LabExperiment) throws -> LabOptions {
        guard (1...1000).contains(seeds) else { throw ValidationError("--seeds must be from 1 to 1000, not \(seeds)") }
        try checkThreads(threads)
        for (option, value) in [("--out", out), ("--json", json), ("--store", store), ("--project", project)] where value?.isEmpty == true {
            throw ValidationError("\(option) is empty; give it a value or leave it out")
        }
        let folder = out ?? "lab/\(experiment.rawValue)"
        let jsonPath = json ?? (folder as NSString).appendingPathComponent("\(experiment.rawValue).json")
        guard !jsonPath.hasSuffix("/") else { throw ValidationError("--json \(jsonPath) names a folder; give a file, such as \(jsonPath)\(experiment.rawValue).json") }
        let figures = experiment.figureFiles.map { (folder as NSString).appendingPathComponent($0) }
        let standardized = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.path }
        if figures.map(standardized).contains(standardized(jsonPath)) {
            throw ValidationError("--json \(jsonPath) is where a figure goes; choose another file")
        }
        try OutputFolder.refuseFile(folder)
        let tracker = noTrack ? nil : try Tracker(dir: store)
        try OutputFolder.prepare(folder, files: figures + [jsonPath], protecting: tracker?.store.path)
        BLAS.setThreads(threads)
        return try LabOptions(seeds: seeds, quick: quick, out: folder, json: jsonPath, tracker: tracker, project: project)
    }

    /// Waits for the runs to be written and says where everything went.
    func finish(_ options: LabOptions, experiment: LabExperiment, files: [String]) throws {
        print()
        for file in files { print("wrote \(TerminalText.visible(file))") }
        guard let tracker = options.tracker else { return }
        try tracker.waitUntilWritten()
        print("logged the runs to \(TerminalText.visible(tracker.store.path)); see them with")
        print("  temper runs --project \(shellQuoted(options.project ?? "lab-\(experiment.rawValue)"))\(storeOption)")
    }
}

extension LabArguments {
    /// ` --store STORE` for the hints printed at the end (password hidden, quoted for a shell).
    var storeOption: String { store.map { " --store \(shellQuoted(StoreLocation.redactingPasswords($0)))" } ?? "" }
}

/// A positive `--epochs` when given.
func checkEpochs(_ epochs: Int?) throws {
    if let epochs, epochs < 1 { throw ValidationError("--epochs must be positive, not \(epochs)") }
}

/// Comma-separated positive, finite (in Float32), distinct numbers; at least one.
func positiveNumbers(_ text: String, option: String, example: String) throws -> [Double] {
    let values = try text.split(separator: ",", omittingEmptySubsequences: false).map { part -> Double in
        guard let value = Double(part.trimmingCharacters(in: .whitespaces)), value > 0, Float(value).isFinite else {
            throw ValidationError("\(option): \"\(part)\" is not a positive number; give them like \(example)")
        }
        return value
    }
    guard Set(values).count == values.count else { throw ValidationError("\(option) names a value twice: \(text)") }
    return values
}

/// `text` as one shell word for a printed hint: single-quoted unless it is plain, and with control
/// characters made visible (a name cannot drive the terminal).
func shellQuoted(_ text: String) -> String {
    let plain = !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || "-_./:@%+=,".contains($0) }
    return TerminalText.visible(plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'")
}

struct LabCovariateShiftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "covariate-shift",
        abstract: "Ioffe & Szegedy, figure 1: a sigmoid MLP with and without BN; test accuracy and a sigmoid's input percentiles over training."
    )

    @OptionGroup var lab: LabArguments

    @Option(help: "Epochs per run, of 24 steps of 60 rows (default \(CovariateShiftExperiment().epochs); \(CovariateShiftExperiment().quickEpochs) with --quick).")
    var epochs: Int?

    @Option(help: "SGD learning rate.")
    var learningRate: Double = CovariateShiftExperiment().learningRate

    func run() throws {
        try checkEpochs(epochs)
        guard learningRate > 0, Float(learningRate).isFinite else { throw ValidationError("--learning-rate must be positive and finite, not \(learningRate)") }
        let options = try lab.options(for: .covariateShift)
        var experiment = CovariateShiftExperiment()
        if let epochs { (experiment.epochs, experiment.quickEpochs) = (epochs, epochs) }
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

    @Option(help: "Epochs per run (default \(LearningRateExperiment().epochs); \(LearningRateExperiment().quickEpochs) with --quick).")
    var epochs: Int?

    @Option(help: "Comma-separated learning rates (default \(LearningRateExperiment().learningRates.map { String($0) }.joined(separator: ",")); \(LearningRateExperiment().quickLearningRates.map { String($0) }.joined(separator: ",")) with --quick).")
    var learningRates: String?

    func run() throws {
        try checkEpochs(epochs)
        let rates = try learningRates.map { try positiveNumbers($0, option: "--learning-rates", example: "0.01,0.1,1") }
        let options = try lab.options(for: .learningRate)
        var experiment = LearningRateExperiment()
        if let epochs { (experiment.epochs, experiment.quickEpochs) = (epochs, epochs) }
        if let rates { (experiment.learningRates, experiment.quickLearningRates) = (rates, rates) }
        // Ctrl-C (or SIGTERM) ends running trials at their next epoch and keeps the sweep to resume.
        let control = options.control
        let interrupts = Interrupts { control.stop() }
        defer { interrupts.restore() }
        let result: LearningRateResult
        do {
            result = try experiment.run(options)
        } catch let stopped as LabInterrupted {
            print(stopped.description)
            throw Interrupts.exitCode ?? ExitCode(130)
        }
        print()
        print(LabTables.learningRate(result))
        try lab.finish(options, experiment: .learningRate, files: result.files)
        if options.tracker != nil { print("  temper sweep show \(result.sweepID)\(lab.storeOption)") }
    }
}

struct LabSmoothnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smoothness",
        abstract: "Santurkar et al.: loss-landscape, gradient-predictiveness and β-smoothness probes with and without BN, and noisy BN."
    )

    @OptionGroup var lab: LabArguments

    @Option(help: "Epochs per run (default \(SmoothnessExperiment().epochs); \(SmoothnessExperiment().quickEpochs) with --quick).")
    var epochs: Int?

    @Option(help: "The noisy BN's per-step mean spread (μ ~ N(0, shift²)).")
    var noiseShift: Double = SmoothnessExperiment().noiseShift

    @Option(help: "The noisy BN's per-step deviation scale (σ = |N(0, spread²)|).")
    var noiseSpread: Double = SmoothnessExperiment().noiseSpread

    func run() throws {
        try checkEpochs(epochs)
        guard noiseShift >= 0, noiseSpread >= 0, Float(noiseShift).isFinite, Float(noiseSpread).isFinite else {
            throw ValidationError("--noise-shift and --noise-spread must be at least 0 and finite in Float32, got \(noiseShift) and \(noiseSpread)")
        }
        let options = try lab.options(for: .smoothness)
        var experiment = SmoothnessExperiment()
        if let epochs { (experiment.epochs, experiment.quickEpochs) = (epochs, epochs) }
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

    @Option(help: "Epochs per run (default \(FinalLayerExperiment().epochs); \(FinalLayerExperiment().quickEpochs) with --quick).")
    var epochs: Int?

    @Option(help: "Comma-separated logit penalties λ (λ · mean ‖f(x)‖²) tried without BN.")
    var penalties: String = FinalLayerExperiment().penalties.map { String($0) }.joined(separator: ",")

    func run() throws {
        try checkEpochs(epochs)
        let values = try positiveNumbers(penalties, option: "--penalties", example: "0.001,0.01")
        let options = try lab.options(for: .finalLayer)
        var experiment = FinalLayerExperiment()
        if let epochs { (experiment.epochs, experiment.quickEpochs) = (epochs, epochs) }
        experiment.penalties = values
        let result = try experiment.run(options)
        print()
        print(LabTables.finalLayer(result))
        try lab.finish(options, experiment: .finalLayer, files: result.files)
    }
}
