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
    /// Whether a trial claimed alone trains its executions together (with `fitTogether`); trials
    /// grouped by the runner (`SweepRunner.grouping`) always bring their executions along.
    public var groupsExecutions = true
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
        if fitTogether != nil, groupsExecutions, sweep.plan.executionsPerTrial > 1, !Self.isHyperband(claim) {
            return try executeTogether([claim], of: sweep, tracker: tracker, control: control)[0].get()
        }
        return try executeApart(claim, of: sweep, tracker: tracker, control: control)
    }

    /// Trains the claimed trials' executions together where they compile alike (with
    /// `fitTogether`; Hyperband's trials, which resume from their parents' weights, train apart),
    /// each execution its own run with the result it has trained alone.
    public func execute(group claims: [TrialClaim], of sweep: Sweep, tracker: Tracker, control: TrialControl) -> [Result<TrialOutcome, Error>] {
        var results: [Result<TrialOutcome, Error>?] = claims.map { claim in
            guard fitTogether == nil || Self.isHyperband(claim) else { return nil }
            // Stopped (Ctrl-C): the trials not begun run again on resume.
            return control.isStopRequested ? .failure(TrialInterrupted()) : Result { try executeApart(claim, of: sweep, tracker: tracker, control: control) }
        }
        let together = claims.indices.filter { results[$0] == nil }
        for (i, result) in zip(together, executeTogether(together.map { claims[$0] }, of: sweep, tracker: tracker, control: control)) {
            results[i] = result
        }
        return results.map { $0 ?? .failure(TuningError.trialFailed("the trial was not trained")) }
    }

    private static func isHyperband(_ claim: TrialClaim) -> Bool { claim.trial.config["tuner/epochs"] != nil }

    /// Trains a trial's executions one after another.
    private func executeApart(_ claim: TrialClaim, of sweep: Sweep, tracker: Tracker, control: TrialControl) throws -> TrialOutcome {
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
        return TrialOutcome(executions, trainingSeconds: trainingSeconds)
    }

    /// The trials' executions trained with `fitTogether`, those whose models compile alike as one
    /// program; a trial whose model fails to build fails alone.
    private func executeTogether(_ claims: [TrialClaim], of sweep: Sweep, tracker: Tracker, control: TrialControl) -> [Result<TrialOutcome, Error>] {
        guard let fitTogether else { return claims.map { _ in .failure(TuningError.trialFailed("no fitTogether to train trials together")) } }
        let plan = sweep.plan
        let clock = Date()
        var built: [Result<[Sequential], Error>] = []
        for claim in claims {
            let values = sweep.flat(claim.trial.config)
            built.append(Result {
                try (0..<plan.executionsPerTrial).map { execution in
                    try ModelSeeds.$current.withValue(SweepSeeds.execution(claim.trial.seed, execution)) {
                        let model = try build(HyperParameters(space: plan.space, assigned: values))
                        if model.inputShape == nil, let inputShape { try model.build(inputShape: inputShape) }
                        return model
                    }
                }
            })
        }
        let buildSeconds = Date().timeIntervalSince(clock) / Double(Swift.max(claims.count, 1))
        let trained = claims.indices.filter { (try? built[$0].get()) != nil }
        let together = TrialsTogether(sweep: sweep, claims: trained.map { claims[$0] }, tracker: tracker, logHistograms: logHistograms,
                                      keepsWeights: weightsDirectory != nil, control: control, tags: tags)
        let members = trained.enumerated().flatMap { index, i in
            ((try? built[i].get()) ?? []).enumerated().map { execution, model in
                TrialsTogether.Member(trial: index, execution: execution, model: model,
                                      config: TrialRuns.config(claims[i].trial.config, claims[i].trial, execution, modelSeed: model.seed))
            }
        }
        let ends = together.byTrial(members, together.train(members) { group, callbacks in try fitTogether(group.map(\.model), callbacks) })
        var results = built.map { result in result.map { _ in TrialOutcome(score: nil) } }
        for (index, i) in trained.enumerated() {
            let trial = claims[i].trial, models = (try? built[i].get()) ?? []
            results[i] = Result {
                let (executions, seconds) = try ends[index].get()
                return try outcome(executions, inputShapes: models.map(\.inputShape), trainingSeconds: buildSeconds + seconds, trial: trial.number,
                                   values: sweep.flat(trial.config), plan: plan)
            }
        }
        return results
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
