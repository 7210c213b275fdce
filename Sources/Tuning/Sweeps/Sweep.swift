import Foundation
import Tracking

/// How a search picks configurations.
public enum SearchMethod: String, Sendable, Codable, CaseIterable {
    case grid
    case random
    /// Bayesian optimization with a Gaussian process (`BayesianSampler`).
    case bayes
    /// Optuna's tree-structured Parzen estimator (`TPESampler`; a Temper method, not W&B's).
    case tpe
    /// Keras Tuner's Hyperband (`HyperbandSampler`; the Swift `Hyperband` tuner).
    case hyperband
}

extension SweepPlan {
    /// The plan's sampler: `skipsDuplicates` for Keras Tuner's random search, the Bayesian options for bayes.
    var sampler: any Sampler {
        switch method {
        case .grid: return GridSampler()
        case .random: return RandomSampler(skipsDuplicates: skipsDuplicates)
        case .bayes: return BayesianSampler(initialPoints: initialPoints, lag: lag)
        case .tpe: return TPESampler(startupTrials: initialPoints ?? 10, lag: lag)
        case .hyperband: return hyperbandSampler ?? GridSampler()
        }
    }
}

/// Everything that determines a sweep's trials: where it lives, the space, the method, the
/// objective, how many trials, and the seed. Two plans with the same `specHash` and seed give the
/// same trials; running one again resumes the sweep instead of starting another.
public struct SweepPlan: Sendable {
    public var project: String
    public var name: String
    public var method: SearchMethod
    public var space: SearchSpace
    public var objective: Objective
    /// At most this many trials (W&B's `run_cap`, Keras Tuner's `max_trials`); nil for as many as
    /// the method gives (a grid's size; random search never ends by itself).
    public var maxTrials: Int?
    public var seed: UInt64
    /// Models trained per trial (Keras Tuner's `executions_per_trial`); the score is their mean.
    public var executionsPerTrial: Int
    /// Whether random search draws again rather than repeat a configuration (Keras Tuner).
    public var skipsDuplicates: Bool
    /// The definition as JSON, stored with the sweep (a spec file's content, for `temper agent`).
    public var spec: String
    /// What identifies the definition in `specHash` instead of `spec`, when set: for a program whose
    /// stored spec holds a path but whose sweep should resume from anywhere (`temper example`).
    public var identity: String?
    /// Bayesian optimization: random trials before the model (nil: 3 per parameter, at least 2).
    public var initialPoints: Int?
    /// Bayesian optimization and early termination: trial `i` learns from, and is judged
    /// against, trials before `i − lag` only (see `Sampler.lag`).
    public var lag: Int
    /// The early-termination policy (`early_terminate`), nil for none.
    public var earlyTermination: EarlyTermination?
    /// Keras Tuner's Hyperband schedule, for `method: .hyperband`.
    public private(set) var hyperbandSampler: HyperbandSampler?

    public init(project: String, name: String, method: SearchMethod, space: SearchSpace, objective: Objective, maxTrials: Int? = nil,
                seed: UInt64 = 1, executionsPerTrial: Int = 1, skipsDuplicates: Bool = false, spec: String = "",
                initialPoints: Int? = nil, lag: Int = 1, earlyTermination: EarlyTermination? = nil, hyperband: HyperbandSampler? = nil) throws {
        if method == .hyperband && hyperband == nil { throw TuningError.invalidSearch("a Hyperband search needs its schedule (maxEpochs, factor)") }
        if let initialPoints, initialPoints < 0 { throw TuningError.invalidSearch("the number of initial random trials must be at least 0, not \(initialPoints)") }
        guard lag >= 0 else { throw TuningError.invalidSearch("the lag of a Bayesian search must be at least 0, not \(lag)") }
        guard executionsPerTrial >= 1 else { throw TuningError.invalidSearch("executionsPerTrial must be at least 1, not \(executionsPerTrial)") }
        if let policy = earlyTermination?.policy, policy.direction != objective.direction {
            throw TuningError.invalidSearch("the early-termination policy was made to \(policy.direction.rawValue) but the objective \(objective.name) is to \(objective.direction.rawValue); build the policy with direction: .\(objective.direction.rawValue)")
        }
        if let maxTrials, maxTrials < 1 { throw TuningError.invalidSearch("the number of trials (max_trials, run_cap) must be at least 1, not \(maxTrials)") }
        self.project = project
        self.name = name
        self.method = method
        self.space = space
        self.objective = objective
        self.maxTrials = maxTrials
        self.seed = seed
        self.executionsPerTrial = executionsPerTrial
        self.skipsDuplicates = skipsDuplicates
        self.spec = spec
        self.initialPoints = initialPoints
        self.lag = lag
        self.earlyTermination = earlyTermination
        hyperbandSampler = hyperband
    }

    /// How many leading trials must have ended before `trial` is proposed: the sampler's rule,
    /// and the lag rule when early termination judges trials against earlier ones.
    func endedPrefix(before trial: Int) -> Int? {
        let rules = [sampler.endedPrefix(before: trial), earlyTermination != nil ? Swift.max(0, trial - lag) : nil].compactMap { $0 }
        return rules.max()
    }

    /// Whether claims must see the trials before them (a learning sampler, early termination, Hyperband).
    var waitsForResults: Bool { sampler.waitsForEarlierTrials || earlyTermination != nil }

    /// A hash of what determines the trials (not the seed, stored beside it).
    public var specHash: String {
        // A tuner's spec is hashed as the first tuners stored it, so their searches resume.
        var parts: [String] = [identity ?? (StoredObjective.isTunerSpec(spec) ? "swift" : spec), name, method.rawValue, space.description, objective.name, objective.direction.rawValue, objective.aggregation.rawValue]
        parts += [objective.target.map { "\($0)" } ?? "-", maxTrials.map(String.init) ?? "-", String(executionsPerTrial), String(skipsDuplicates)]
        if method == .bayes || method == .tpe { parts += [initialPoints.map(String.init) ?? "-", String(lag)] }
        if let h = hyperbandSampler { parts += ["keras-hyperband", String(h.schedule.maxResource), String(h.schedule.eta), String(h.iterations)] }
        if let e = earlyTermination { parts += e.policy.signature + [String(lag)] }
        let joined = parts.joined(separator: "\u{1F}")
        return String(SweepSeeds.fnv1a(joined), radix: 16)
    }

    /// The number of trials the sweep runs at most (nil: unbounded).
    public func capacity() throws -> Int? {
        let sampled = try sampler.capacity(space)
        switch (sampled, maxTrials) {
        case let (a?, b?): return Swift.min(a, b)
        case let (a, b): return a ?? b
        }
    }
}

/// A sweep in a run store: claims trials for this process (in a transaction, so processes and
/// threads never take the same one), and reports their results.
public final class Sweep: @unchecked Sendable {
    public let info: SweepInfo
    public let plan: SweepPlan
    public let store: RunStore
    let sampler: any Sampler

    public init(info: SweepInfo, plan: SweepPlan, store: RunStore) {
        self.info = info
        self.plan = plan
        self.store = store
        sampler = plan.sampler
    }

    /// The sweep of `plan` in `store`: the newest one with the same spec and seed when `resume`
    /// (its finished trials kept, its crashed ones run again), else a new one.
    public static func open(_ plan: SweepPlan, in store: RunStore, resume: Bool = true) throws -> (sweep: Sweep, resumed: Bool) {
        let (info, found) = try store.findOrCreateSweep(project: plan.project, name: plan.name, method: plan.method.rawValue, spec: plan.spec,
                                                        seed: plan.seed, specHash: plan.specHash, resume: resume)
        return (Sweep(info: info, plan: plan, store: store), found)
    }

    /// Claims the next trial: a crashed one again, else a new one from the sampler — or nil when
    /// the sweep has nothing more to run (the method exhausted, `maxTrials` reached, or a trial
    /// reached the objective's target).
    public func claim() throws -> TrialClaim? { try claim(count: 1).first }

    /// Records `results` and claims up to `count` trials at once (see `claim()`), in one
    /// transaction — fewer than `count` when fewer are left; none when the sweep is done. A
    /// sampler that learns from results (`maxBatch`) caps `count`.
    public func claim(count: Int, results: [RunStore.TrialResult] = []) throws -> [TrialClaim] {
        try claimBatch(count: count, results: results).claims
    }

    /// As `claim(count:results:)`, and whether the claim stopped short because a learning
    /// sampler's next trial must wait for earlier trials to end (the lag rule): then the sweep is
    /// not done, and claiming again later proposes it.
    public func claimBatch(count: Int, results: [RunStore.TrialResult] = []) throws -> (claims: [TrialClaim], waiting: Bool) {
        var waiting = false
        let claims = try store.claimTrials(info.id, count: Swift.max(1, Swift.min(count, sampler.maxBatch)),
                                           withHistory: sampler.needsHistory || plan.waitsForResults, withScores: plan.objective.target != nil,
                                           results: results) { claim in
            waiting = false
            if let cap = plan.maxTrials, claim.number >= cap { return nil }
            if claim.finishedScores.contains(where: plan.objective.reachesTarget) { return nil }
            if let count = plan.endedPrefix(before: claim.number), !Self.hasEnded(claim.previous.prefix(count)) {
                waiting = true
                return nil
            }
            let previous = claim.previous.map { (config: flat($0.config), state: $0.state, score: $0.score) }
            let context = SamplingContext(space: plan.space, trial: claim.number, seed: plan.seed, previous: previous,
                                          direction: plan.objective.direction)
            guard let config = try sampler.propose(context) else { return nil }
            return TrialProposal(config: config.nested(), seed: SweepSeeds.trial(plan.seed, claim.number))
        }
        return (claims, waiting)
    }

    /// Whether every one of `trials` has ended (finished, failed or stopped; a crashed one runs again).
    private static func hasEnded(_ trials: ArraySlice<TrialInfo>) -> Bool {
        trials.allSatisfy { [.finished, .failed, .stopped].contains($0.state) }
    }

    /// The trials so far, in number order.
    public func trials() throws -> [TrialInfo] { try store.trials(info.id) }

    /// A trial's configuration by parameter name (the nested run config read along each
    /// parameter's dotted name).
    public func flat(_ config: RunConfig) -> [String: ConfigValue] {
        var result: [String: ConfigValue] = [:]
        for parameter in plan.space.parameters {
            var value: ConfigValue? = .dictionary(config)
            for part in parameter.name.split(separator: ".", omittingEmptySubsequences: false) {
                guard case .dictionary(let inner)? = value else { value = nil; break }
                value = inner[String(part)]
            }
            if let value { result[parameter.name] = value }
        }
        return result
    }

    /// The finished (or early-stopped) trials, best score first (ties keep the earlier trial).
    public func bestTrials(_ count: Int = 1) throws -> [TrialInfo] {
        let scored = try trials().filter { ($0.state == .finished || $0.state == .stopped) && $0.score != nil }
        let sorted = scored.enumerated().sorted { a, b in
            let (x, y) = (a.element.score ?? .nan, b.element.score ?? .nan)
            if plan.objective.isBetter(x, than: y) { return true }
            if plan.objective.isBetter(y, than: x) { return false }
            return a.offset < b.offset
        }
        return sorted.prefix(Swift.max(count, 0)).map(\.element)
    }
}
