import Foundation
import Models
import Tracking

/// Trains a trial in this process: for each execution, builds the model from the trial's
/// hyperparameters under the execution's seed (`ModelSeeds`), fits it with a `TrackingCallback`
/// (a run per execution, in the sweep, with the trial number), and scores it by the objective.
public struct ModelTrialExecutor: TrialExecutor {
    /// Builds the model of a configuration (`hp` answers with the trial's values).
    public var build: @Sendable (HyperParameters) throws -> Sequential
    /// Fits a built model with the given callbacks (the data, epochs, batch size …) and returns
    /// its history.
    public var fit: @Sendable (Sequential, [Callback]) throws -> History
    /// Fits for a given number of epochs (Hyperband's trials: `tuner/epochs − tuner/initial_epoch`).
    public var fitEpochs: (@Sendable (Sequential, [Callback], Int) throws -> History)?
    /// The input shape to build a model with before loading weights into it, when its first layer gives none.
    public var inputShape: [Int]?
    /// Log weight and gradient histograms every epoch (off by default: a sweep's runs are many).
    public var logHistograms: Bool
    /// Where each trial's best weights are saved (`trial-<n>.safetensors`: the best epoch of its
    /// best execution), for `bestModels`; nil to keep none.
    public var weightsDirectory: String?
    /// Fits a trial's executions at once (`Sequential.fitTogether` with the same data and
    /// arguments as `fit`), each model with its callbacks. When set, a trial with several
    /// executions whose models compile to one program trains them as the trials of one program
    /// (vectorized), each execution still its own run with the result it has alone.
    public var fitTogether: (@Sendable ([Sequential], [[Callback]]) throws -> [Result<History, Error>])?
    /// Tags every run of the sweep gets besides the sweep's name (the lab's: `lab`, the experiment).
    public var tags: [String] = []

    public init(build: @escaping @Sendable (HyperParameters) throws -> Sequential, fit: @escaping @Sendable (Sequential, [Callback]) throws -> History,
                logHistograms: Bool = false, weightsDirectory: String? = nil) {
        self.build = build
        self.fit = fit
        self.logHistograms = logHistograms
        self.weightsDirectory = weightsDirectory
    }

    public func execute(_ claim: TrialClaim, of sweep: Sweep, tracker: Tracker, control: TrialControl) throws -> TrialOutcome {
        if let together = try executeTogether(claim, of: sweep, tracker: tracker, control: control) { return together }
        let plan = sweep.plan, trial = claim.trial
        let values = sweep.flat(trial.config)
        var executions: [TrialRuns.Execution] = []
        var inputShapes: [[Int]?] = []
        var training = 0.0
        for execution in 0..<plan.executionsPerTrial {
            let seed = SweepSeeds.execution(trial.seed, execution)
            let hp = HyperParameters(space: plan.space, assigned: values)
            let started = Date()
            let model = try ModelSeeds.$current.withValue(seed) { try build(hp) }
            let epochs = try resume(model, trial: trial)
            training += Date().timeIntervalSince(started)
            let result = try TrialRuns.execute(execution, of: trial, in: sweep, config: TrialRuns.config(trial.config, trial, execution, modelSeed: model.seed),
                                               tracker: tracker, logHistograms: logHistograms, keepsWeights: weightsDirectory != nil, control: control,
                                               tags: tags) { callbacks in
                try ModelSeeds.$current.withValue(seed) {
                    if let epochs, let fitEpochs { return try fitEpochs(model, callbacks, epochs) }
                    return try fit(model, callbacks)
                }
            }
            training += result.seconds
            executions.append(result)
            inputShapes.append(model.inputShape)
        }
        return try outcome(executions, inputShapes: inputShapes, trainingSeconds: training, trial: trial.number, values: values, plan: plan)
    }

    /// A trial's outcome from its executions: the mean score and the first stop reason; the best
    /// execution's weights (the first of equals) saved when weights are kept.
    private func outcome(_ executions: [TrialRuns.Execution], inputShapes: [[Int]?], trainingSeconds: Double, trial: Int,
                         values: [String: ConfigValue], plan: SweepPlan) throws -> TrialOutcome {
        if let directory = weightsDirectory,
           let best = zip(executions, inputShapes).min(by: { plan.objective.isBetter($0.0.score, than: $1.0.score) }), let weights = best.0.bestWeights {
            try saveWeights(weights, trial: trial, directory: directory, build: values, inputShape: best.1, plan: plan)
        }
        let stopReasons = executions.compactMap(\.stopReason)
        return TrialOutcome(score: executions.map(\.score).reduce(0, +) / Double(executions.count), stoppedEarly: !stopReasons.isEmpty,
                            stopReason: stopReasons.first, trainingSeconds: trainingSeconds, runs: executions.map(\.run))
    }

    /// The trial's executions trained together (`fitTogether`), or nil when they are not to be:
    /// one execution, no `fitTogether`, a Hyperband trial, or models that compile differently.
    private func executeTogether(_ claim: TrialClaim, of sweep: Sweep, tracker: Tracker, control: TrialControl) throws -> TrialOutcome? {
        let plan = sweep.plan, trial = claim.trial
        guard let fitTogether, plan.executionsPerTrial > 1, trial.config["tuner/epochs"] == nil else { return nil }
        let values = sweep.flat(trial.config)
        let clock = Date()
        let seeds = (0..<plan.executionsPerTrial).map { SweepSeeds.execution(trial.seed, $0) }
        let models = try seeds.map { seed in
            try ModelSeeds.$current.withValue(seed) {
                let model = try build(HyperParameters(space: plan.space, assigned: values))
                if model.inputShape == nil, let inputShape { try model.build(inputShape: inputShape) }
                return model
            }
        }
        guard Sequential.canFitTogether(models) else { return nil }
        let started = try models.enumerated().map { execution, model in
            try TrialRuns.start(execution, of: trial, in: sweep, config: TrialRuns.config(trial.config, trial, execution, modelSeed: model.seed),
                                tracker: tracker, logHistograms: logHistograms, keepsWeights: weightsDirectory != nil, control: control, tags: tags)
        }
        let results = try fitTogether(models, started.map(\.callbacks))
        let seconds = Date().timeIntervalSince(clock)
        var executions: [TrialRuns.Execution] = []
        var firstError: Error?
        for (execution, result) in results.enumerated() {
            switch result {
            case .success(let history):
                executions.append(try TrialRuns.finish(started[execution], history: history, seconds: seconds, in: sweep, control: control))
            case .failure(let error):
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
        return try outcome(executions, inputShapes: models.map(\.inputShape), trainingSeconds: seconds, trial: trial.number, values: values, plan: plan)
    }

    /// Saves a trial's best weights as `trial-<n>.safetensors` (written into a model built from its
    /// configuration, so the names and shapes are the model's).
    private func saveWeights(_ weights: [String: [Float]], trial: Int, directory: String, build values: [String: ConfigValue], inputShape: [Int]?,
                             plan: SweepPlan) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let model = try self.build(HyperParameters(space: plan.space, assigned: values))
        if model.inputShape == nil, let inputShape { try model.build(inputShape: inputShape) }
        try model.setWeights(weights)
        try model.saveWeights(to: (directory as NSString).appendingPathComponent("trial-\(trial).safetensors"))
    }
}

extension ModelTrialExecutor {
    /// For a Hyperband trial: loads its parent's saved weights (a promoted trial resumes from
    /// them, as Keras Tuner's) and returns the epochs to train; nil for other trials.
    func resume(_ model: Sequential, trial: TrialInfo) throws -> Int? {
        guard case .int(let epochs)? = trial.config["tuner/epochs"], case .int(let initial)? = trial.config["tuner/initial_epoch"] else { return nil }
        if case .int(let parent)? = trial.config["tuner/trial_id"], parent >= 0 {
            guard let directory = weightsDirectory else { throw TuningError.trialFailed("a promoted Hyperband trial needs its parent's saved weights; give the executor a weights directory") }
            if model.inputShape == nil, let inputShape { try model.build(inputShape: inputShape) }
            try model.loadWeights(from: (directory as NSString).appendingPathComponent("trial-\(parent).safetensors"))
        }
        return Swift.max(1, epochs - initial)
    }
}

/// Stops `fit` when the sweep is stopped or the early-termination rule says so, and keeps the
/// weights of the best epoch by the objective.
final class ObjectiveRecorder: Callback {
    var readsModelAtBatchEnd: Bool { false }
    let objective: Objective
    let keepsWeights: Bool
    let control: TrialControl
    let stopRule: TrialStopRule?
    private(set) var bestWeights: [String: [Float]]?
    private var best = Double.nan

    init(objective: Objective, keepsWeights: Bool, control: TrialControl, stopRule: TrialStopRule? = nil) {
        self.objective = objective
        self.keepsWeights = keepsWeights
        self.control = control
        self.stopRule = stopRule
    }

    func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {
        if control.isStopRequested {
            training.stopTraining = true
            training.stopReason = "the sweep was stopped"
        }
        if let stopRule, stopRule.record(logs[objective.name] ?? .nan, isLast: epoch + 1 >= training.epochs) {
            training.stopTraining = true
            training.stopReason = stopRule.reason
        }
        guard keepsWeights, let value = logs[objective.name], objective.isBetter(value, than: best) else { return }
        best = value
        bestWeights = try training.model.weights()
    }
}
