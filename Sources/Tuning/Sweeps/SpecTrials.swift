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
        var scores: [Double] = []
        var runs: [Run] = []
        var training = 0.0
        var stopReasons: [String] = []
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
            runs.append(result.run)
            scores.append(result.score)
            stopReasons += result.stopReason.map { [$0] } ?? []
        }
        return TrialOutcome(score: scores.reduce(0, +) / Double(scores.count), stoppedEarly: !stopReasons.isEmpty,
                            stopReason: stopReasons.first, trainingSeconds: training, runs: runs)
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
