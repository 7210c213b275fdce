import Foundation
import Models
import Tracking

/// Trains a trial of a sweep whose program is a Temper train spec, in this process: the trial's
/// parameters override the spec's config keys (nested parameters reach nested keys), the model is
/// built and seeded per execution, and each execution is a run with a `TrackingCallback`.
public struct SpecTrialExecutor: TrialExecutor {
    public let spec: TrainSpec
    /// Log weight and gradient histograms (off unless the spec's `tracking: {histograms: true}`).
    public let logHistograms: Bool
    private let cache = DataCache()

    public init(spec: TrainSpec) throws {
        self.spec = spec
        logHistograms = try spec.tracking.map { _ in try spec.logsHistograms(spec.config) } ?? false
    }

    public func execute(_ claim: TrialClaim, of sweep: Sweep, tracker: Tracker, control: TrialControl) throws -> TrialOutcome {
        let plan = sweep.plan, trial = claim.trial
        let config = spec.configuration(overrides: trial.config)
        let data = try cache.data(spec, config)
        var executions: [TrialRuns.Execution] = []
        var training = 0.0
        for execution in 0..<plan.executionsPerTrial {
            let seed = SweepSeeds.execution(trial.seed, execution)
            let started = Date()
            let model = try ModelSeeds.$current.withValue(seed) { try spec.model(config) }
            training += Date().timeIntervalSince(started)
            let result = try TrialRuns.execute(execution, of: trial, in: sweep, config: TrialRuns.config(config, trial, execution, modelSeed: model.seed),
                                               tracker: tracker, logHistograms: logHistograms, keepsWeights: false, control: control) { callbacks in
                try ModelSeeds.$current.withValue(seed) { try spec.fit(model, data: data, config: config, callbacks: callbacks) }
            }
            training += result.seconds
            executions.append(result)
        }
        return TrialOutcome(executions, trainingSeconds: training)
    }
}

extension SpecTrialExecutor {
    /// Trains the claimed trials together where it can (`--vectorize`): trials that read the same
    /// data with the same fit options (epochs, batch size, shuffling, validation split) and whose
    /// models compile alike train as the trials of one program, each execution its own run with
    /// the result it has trained alone (`execute`). A trial that fails to build fails alone.
    public func execute(group claims: [TrialClaim], of sweep: Sweep, tracker: Tracker, control: TrialControl) -> [Result<TrialOutcome, Error>] {
        var results: [Result<TrialOutcome, Error>?] = Array(repeating: nil, count: claims.count)
        var prepared: [Int: PreparedTrial] = [:]
        for (i, claim) in claims.enumerated() {
            let clock = Date()
            do {
                prepared[i] = try prepare(claim, executions: sweep.plan.executionsPerTrial)
                prepared[i]?.buildSeconds = Date().timeIntervalSince(clock)
            } catch {
                results[i] = .failure(error)
            }
        }
        // Trials with the same data and fit options, in claim order.
        var batches: [String: [Int]] = [:], order: [String] = []
        for i in claims.indices {
            guard let key = prepared[i]?.fitKey else { continue }
            if batches[key] == nil { order.append(key) }
            batches[key, default: []].append(i)
        }
        for key in order {
            let indices = batches[key] ?? []
            let trials = indices.compactMap { prepared[$0] }
            for (i, result) in zip(indices, train(trials, claims: indices.map { claims[$0] }, of: sweep, tracker: tracker, control: control)) {
                results[i] = result
            }
        }
        return results.map { $0 ?? .failure(TuningError.trialFailed("the trial was not trained")) }
    }

    /// A claimed trial with its config, data, fit options and one built model per execution.
    struct PreparedTrial {
        let claim: TrialClaim
        let config: RunConfig
        let data: SpecData
        let options: FitOptions
        let models: [Sequential]
        /// What trials must share to train together: the data section's values and the fit options.
        let fitKey: String
        /// Seconds spent reading the data and building the models (counted as training, as `execute` does).
        var buildSeconds = 0.0
    }

    private func prepare(_ claim: TrialClaim, executions: Int) throws -> PreparedTrial {
        let trial = claim.trial
        let config = spec.configuration(overrides: trial.config)
        let data = try cache.data(spec, config)
        let options = try spec.fitOptions(config)
        let models = try (0..<executions).map { execution in
            let model = try ModelSeeds.$current.withValue(SweepSeeds.execution(trial.seed, execution)) { try spec.model(config) }
            if model.inputShape == nil { try model.build(inputShape: [data.train.x.columns]) }
            return model
        }
        let key = try spec.dataKey(config) + "\u{1E}\(options.epochs) \(options.batchSize) \(options.shuffle) \(options.validationSplit)"
        return PreparedTrial(claim: claim, config: config, data: data, options: options, models: models, fitKey: key)
    }

    /// Trains trials sharing data and fit options: their executions in programs of models that
    /// compile alike.
    private func train(_ trials: [PreparedTrial], claims: [TrialClaim], of sweep: Sweep, tracker: Tracker, control: TrialControl) -> [Result<TrialOutcome, Error>] {
        guard let first = trials.first else { return [] }
        let together = TrialsTogether(sweep: sweep, claims: claims, tracker: tracker, logHistograms: logHistograms, keepsWeights: false, control: control, tags: [])
        let members = trials.enumerated().flatMap { index, trial in
            trial.models.enumerated().map { execution, model in
                TrialsTogether.Member(trial: index, execution: execution, model: model,
                                      config: TrialRuns.config(trial.config, trial.claim.trial, execution, modelSeed: model.seed))
            }
        }
        let data = first.data, options = first.options
        let ends = together.train(members) { group, callbacks in
            let specCallbacks = try group.map { try trials[$0.trial].options.callbacks() }
            return try Sequential.fitTogether(group.map(\.model), x: data.train.x, y: data.train.y, batchSize: options.batchSize, epochs: options.epochs,
                                              validationData: data.validation, validationSplit: data.validation == nil ? options.validationSplit : 0,
                                              shuffle: options.shuffle, callbacks: zip(specCallbacks, callbacks).map { $0 + $1 })
                .map { $0.mapError(spec.explained) }
        }
        return zip(trials, together.byTrial(members, ends)).map { trial, result in
            result.map { executions, seconds in TrialOutcome(executions, trainingSeconds: trial.buildSeconds + seconds) }
        }
    }
}

extension TrialOutcome {
    /// A trial's outcome from its executions (in order): the mean of their scores, and the first
    /// reason early termination gave for stopping one.
    init(_ executions: [TrialRuns.Execution], trainingSeconds: Double) {
        let stopReasons = executions.compactMap(\.stopReason)
        self.init(score: executions.map(\.score).reduce(0, +) / Double(executions.count), stoppedEarly: !stopReasons.isEmpty,
                  stopReason: stopReasons.first, trainingSeconds: trainingSeconds, runs: executions.map(\.run))
    }
}

/// Names and configs of trials' runs.
enum TrialRuns {
    static func name(_ sweep: Sweep, _ trial: TrialInfo, _ execution: Int) -> String {
        "\(sweep.info.name)-trial-\(trial.number)" + (sweep.plan.executionsPerTrial > 1 ? "-execution-\(execution)" : "")
    }

    static func group(_ sweep: Sweep, _ trial: TrialInfo) -> String { "\(sweep.info.name)-trial-\(trial.number)" }

    /// What one execution of a trial gave: its run, its score, the seconds `fit` took, the
    /// weights of its best epoch (when kept), and why early termination stopped it (if it did).
    struct Execution {
        let run: Run
        let score: Double
        let seconds: Double
        let bestWeights: [String: [Float]]?
        let stopReason: String?
    }

    /// Runs one execution of a trial as a run of the sweep: `fit` trains with the run's
    /// `TrackingCallback` and an objective recorder. A stop request fails the run (a resumed
    /// sweep must not take its shortened history for the trial's result); otherwise the run is
    /// finished and scored by the objective (its best epoch's value).
    static func execute(_ execution: Int, of trial: TrialInfo, in sweep: Sweep, config: RunConfig, tracker: Tracker, logHistograms: Bool,
                        keepsWeights: Bool, control: TrialControl, tags: [String] = [], fit: ([Callback]) throws -> History) throws -> Execution {
        let started = try start(execution, of: trial, in: sweep, config: config, tracker: tracker, logHistograms: logHistograms,
                                keepsWeights: keepsWeights, control: control, tags: tags)
        let clock = Date()
        let history = try fit(started.callbacks)
        return try finish(started, history: history, seconds: Date().timeIntervalSince(clock), in: sweep, control: control)
    }

    /// An execution's run, started, with the callbacks its `fit` trains with.
    struct Started {
        let run: Run
        let recorder: ObjectiveRecorder
        var callbacks: [Callback] { [tracking, recorder] }
        let tracking: TrackingCallback
    }

    /// Starts the run of one execution of a trial (see `execute`).
    static func start(_ execution: Int, of trial: TrialInfo, in sweep: Sweep, config: RunConfig, tracker: Tracker, logHistograms: Bool,
                      keepsWeights: Bool, control: TrialControl, tags: [String] = []) throws -> Started {
        let plan = sweep.plan
        let run = try tracker.start(project: sweep.info.project, name: name(sweep, trial, execution), config: config,
                                    tags: [sweep.info.name] + tags.filter { $0 != sweep.info.name }, group: group(sweep, trial),
                                    sweep: (sweep.info.id, trial.number))
        let recorder = ObjectiveRecorder(objective: plan.objective, keepsWeights: keepsWeights, control: control, stopRule: try sweep.stopRule(for: trial))
        return Started(run: run, recorder: recorder, tracking: TrackingCallback(run, logWeights: logHistograms, logGradients: logHistograms, finishRunAtEnd: false))
    }

    /// Finishes the run of an execution that trained `history` in `seconds` (see `execute`).
    static func finish(_ started: Started, history: History, seconds: Double, in sweep: Sweep, control: TrialControl) throws -> Execution {
        let plan = sweep.plan, run = started.run, recorder = started.recorder
        if control.isStopRequested {
            try? run.fail(TrialInterrupted().description, wait: false)
            throw TrialInterrupted()
        }
        try run.finish(wait: false)
        guard let score = plan.objective.value(of: history.values(of: plan.objective.name) ?? []) else {
            throw TuningError.trialFailed(plan.objective.missingScoreReason(history))
        }
        return Execution(run: run, score: score, seconds: seconds, bestWeights: recorder.bestWeights, stopReason: recorder.stopRule?.reason)
    }

    /// The run's config: the trial's (what it trains with), and under `temper` its number, its
    /// execution and the seed the model was built with — never over the trial's own keys.
    static func config(_ config: RunConfig, _ trial: TrialInfo, _ execution: Int, modelSeed: UInt64) -> RunConfig {
        var config = config
        config["temper"] = ["trial": .int(trial.number), "execution": .int(execution), "seed": .string(String(modelSeed))]
        return config
    }

    /// The execution a run of a trial trained (0 for a run without the record).
    static func execution(of run: RunInfo) -> Int {
        guard case .dictionary(let temper)? = run.config["temper"], case .int(let execution)? = temper["execution"] else { return 0 }
        return execution
    }
}

/// The data of a spec, read once per distinct data section (trials usually share it).
final class DataCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: SpecData] = [:]

    func data(_ spec: TrainSpec, _ config: RunConfig) throws -> SpecData {
        let key = try spec.dataKey(config)
        lock.lock()
        if let cached = entries[key] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        let data = try spec.data(config)
        lock.lock()
        entries[key] = data
        lock.unlock()
        return data
    }
}

extension TrainSpec {
    /// What determines the data: the data section's values for `config`.
    func dataKey(_ config: RunConfig) throws -> String {
        let arguments = try SpecArguments(data, config: config, known: Self.dataKeys)
        return Self.dataKeys.map { "\($0)=\(arguments.value($0)?.description ?? "-")" }.joined(separator: "\u{1F}")
    }
}

extension RunInfo {
    /// Which execution of its trial this run trained (0 for runs outside sweeps).
    public var sweepExecution: Int { TrialRuns.execution(of: self) }
}

extension TrialInfo {
    /// The runs that count for the trial: the latest finished run of each execution, in execution
    /// order (a trial taken again after a crash or an interruption ran its executions again).
    public func countedRuns(_ runs: [String: RunInfo]) -> [RunInfo] {
        var latest: [Int: RunInfo] = [:]
        for run in runIDs.compactMap({ runs[$0] }) where run.state == .finished { latest[run.sweepExecution] = run }
        return latest.keys.sorted().compactMap { latest[$0] }
    }
}
