import Foundation
import Models
import Tracking
import Tuning

/// "BN allows much higher learning rates" (Ioffe & Szegedy 2015): a grid sweep over learning
/// rates on a log scale, with and without batch normalization, each trained once per seed; the
/// final test accuracy and divergence against the learning rate. It runs through the sweep
/// machinery: the sweep is in the store (`temper sweep show`), and running the command again
/// with the same settings resumes it (finished trials are kept).
public struct LearningRateExperiment: Sendable {
    public var learningRates: [Double] = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30]
    public var epochs = 20
    /// The rates and epochs with `--quick`.
    public var quickLearningRates: [Double] = [0.01, 1, 30]
    public var quickEpochs = 2
    public var batchSize = 60
    /// A run whose last epoch's training loss is not finite, or above this, diverged (3 × ln 10:
    /// three times the loss of guessing the 10 classes uniformly).
    public static let divergenceLoss = 3 * log(10.0)

    public init() {}

    public func network(batchNorm: Bool) -> LabNetwork {
        LabNetwork(activation: .relu, initializer: .heUniform(), batchNorm: batchNorm)
    }

    /// The sweep's plan: a grid over `learning_rate` × `batch_norm`, one execution per seed.
    public func plan(_ options: LabOptions) throws -> SweepPlan {
        let (rates, epochs) = settings(options)
        var space = SearchSpace()
        try space.add(SearchParameter(name: "learning_rate", distribution: ChoiceHyperparameter(name: "learning_rate", values: rates.map { .double($0) })))
        try space.add(SearchParameter(name: "batch_norm", distribution: ChoiceHyperparameter(name: "batch_norm", values: [.bool(false), .bool(true)])))
        let spec = LabSweepSpec(lab: LabExperiment.learningRate.rawValue, epochs: epochs, batchSize: batchSize, network: network(batchNorm: false).summary,
                                learningRates: rates, seeds: options.seedCount)
        return try SweepPlan(project: options.project(for: .learningRate), name: "learning-rate", method: .grid, space: space,
                             objective: Objective(name: "val_accuracy", direction: .maximize, aggregation: .last),
                             seed: 1, executionsPerTrial: options.seedCount, spec: try spec.json())
    }

    private func settings(_ options: LabOptions) -> (rates: [Double], epochs: Int) {
        options.quick ? (quickLearningRates, quickEpochs) : (learningRates, epochs)
    }

    /// Runs (or resumes) the sweep in the options' store; without a store, in a temporary one.
    public func run(_ options: LabOptions) throws -> LearningRateResult {
        let data = try LabData.digits()
        let plan = try plan(options)
        let temporary = options.tracker == nil ? FileManager.default.temporaryDirectory.appendingPathComponent("temper-lab-\(UUID().uuidString)").path : nil
        defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
        let tracker = try options.tracker ?? Tracker(dir: temporary)
        let (sweep, resumed) = try Sweep.open(plan, in: tracker.store)
        options.log("learning-rate: sweep \(sweep.info.id)\(resumed ? " (resumed)" : ""), \(try plan.capacity() ?? 0) trials × \(plan.executionsPerTrial) seeds")
        let (rates, epochs) = settings(options)
        let batchSize = self.batchSize
        var executor = ModelTrialExecutor(build: { hp in
            // Declared as the plan declares them, so the trial's values are read back.
            let learningRate = try hp.choice("learning_rate", rates)
            let network = self.network(batchNorm: try hp.choice("batch_norm", [false, true]))
            let model = network.model(seed: ModelSeeds.current ?? 1)
            try LabTraining.compile(model, optimizer: SGD(learningRate: .constant(learningRate)))
            return model
        }, fit: { model, callbacks in
            try LabTraining.fitCompiled(model, data: data, epochs: epochs, batchSize: batchSize, run: nil, callbacks: callbacks).history
        })
        // Tagged as the lab's other runs, so `temper runs --tag lab` lists them too.
        executor.tags = ["lab", LabExperiment.learningRate.rawValue]
        let log = options.log
        try SweepRunner.runToCompletion(sweep, tracker: tracker, executor: executor, stop: options.control, onTrialEnd: { trial in
            log("learning-rate trial \(trial.number): \(trial.config["learning_rate"]?.description ?? "?"), batch_norm \(trial.config["batch_norm"]?.description ?? "?"): \(trial.state.rawValue), mean val_accuracy \(format(trial.score ?? .nan))")
        }, onWaiting: { log("learning-rate: waiting for trials another process is running") })
        try tracker.waitUntilWritten()
        if options.control.isStopped {
            throw LabInterrupted(description: options.tracker == nil ? "interrupted; nothing was kept (--no-track)"
                                 : "interrupted; sweep \(sweep.info.id) keeps its finished trials: run the same command again to resume it")
        }
        let result = try LearningRateResult(sweep: sweep, runs: try tracker.store.runs(sweep: sweep.info.id), epochs: epochs, batchSize: batchSize,
                                            keptInStore: options.tracker != nil)
        result.files = try options.write(result, figures: result.figures())
        return result
    }
}

/// What a lab sweep stores as its spec: enough to tell its settings apart (and to tell
/// `temper sweep resume` that the lab command resumes it).
struct LabSweepSpec: Codable {
    var lab: String
    /// The objective, for readers of the store (`StoredObjective`).
    var metric = "val_accuracy"
    var goal = "maximize"
    var epochs: Int
    var batchSize: Int
    var network: String
    var learningRates: [Double]
    var seeds: Int

    /// The command that made (and resumes) the sweep.
    var command: String {
        "temper lab \(lab) --epochs \(epochs) --learning-rates \(learningRates.map { String($0) }.joined(separator: ",")) --seeds \(seeds)"
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// The lab command that made a sweep stored with `spec` (and resumes it), if it is a lab sweep.
public func labCommand(ofSweepSpec spec: String) -> String? {
    (try? JSONDecoder().decode(LabSweepSpec.self, from: Data(spec.utf8)))?.command
}
