import Foundation
import Tracking

/// Bayesian optimization with a Gaussian process (Keras Tuner's `BayesianOptimization`, W&B's
/// `method: bayes`): `initialPoints` random trials, then each trial maximizes the log expected
/// improvement of a GP fitted to the scores so far.
///
/// - The unit cube: each parameter is one dimension, its quantile under its distribution (so a
///   log-uniform parameter is modelled in log space, a quantized one by its cells); integers and
///   categorical choices take their value's cell (choices by index, Keras Tuner's encoding — with
///   many categorical or conditional parameters prefer TPE); an inactive parameter sits at 0.5.
/// - Scores are standardized (and negated when maximizing); the GP is refitted for every proposal.
/// - Failed trials (W&B's `impute: worst`) count with the worst finished score, so the search
///   steers away from them; with no finished score yet they are left out.
/// - The lag rule: trial `i` learns from trials `0 ..< i − lag` only, and is proposed once they
///   have all ended, so any parallelism and any number of agents give the same trials. A lag of
///   `k` lets `k + 1` trials run at once without waiting; each trial then knows `k` fewer results
///   than a strictly sequential search would.
public struct BayesianSampler: Sampler {
    /// Random trials before the model (nil: Keras Tuner's default, 3 per hyperparameter that can
    /// vary — constants do not count — at least 2).
    public var initialPoints: Int?
    public var lag: Int?
    /// Random candidates the acquisition optimizer starts from.
    public var candidates: Int

    public init(initialPoints: Int? = nil, lag: Int = 1, candidates: Int = 512) {
        self.initialPoints = initialPoints
        self.lag = Swift.max(0, lag)
        self.candidates = candidates
    }

    public var needsHistory: Bool { true }
    public var maxBatch: Int { (lag ?? 0) + 1 }
    public func capacity(_ space: SearchSpace) throws -> Int? { nil }

    public func propose(_ context: SamplingContext) throws -> [String: ConfigValue]? {
        let space = context.space
        let initial = initialPoints ?? Self.defaultInitialPoints(space)
        let known = context.previous.prefix(Swift.max(0, context.trial - (lag ?? 0)))
        let (points, targets) = observations(known, space: space, direction: context.direction)
        guard context.trial >= initial, targets.count >= 2, !space.parameters.isEmpty else { return randomConfiguration(context) }
        let d = space.parameters.count
        let seed = SweepSeeds.mix(context.seed, 0x6261_7965_7300_0000 &+ UInt64(truncatingIfNeeded: context.trial))
        let gp = try GaussianProcess.fitted(points: points.flatMap { $0 }, dimensions: d, targets: targets, seed: seed)
        let best = targets.min() ?? 0
        let found = AcquisitionOptimizer.maximize(dimensions: d, seed: seed &+ 1, including: points, candidates: candidates) { x in
            let (mean, variance) = gp.predict(x[...])
            return LogExpectedImprovement.value(mean: mean, variance: variance, best: best)
        }
        let index = Dictionary(uniqueKeysWithValues: space.parameters.enumerated().map { ($1.name, $0) })
        return space.configuration { parameter in Swift.min(Swift.max(found.point[index[parameter.name] ?? 0], 0), 1 - 1e-12) }
    }

    /// 3 per hyperparameter that can take more than one value, at least 2.
    public static func defaultInitialPoints(_ space: SearchSpace) -> Int {
        let varying = space.parameters.filter { (try? $0.distribution.gridValues($0.name).count) != 1 }
        return Swift.max(2, 3 * varying.count)
    }

    private func randomConfiguration(_ context: SamplingContext) -> [String: ConfigValue] {
        context.space.configuration { SweepSeeds.quantile(context.seed, trial: context.trial, attempt: 0, name: $0.name) }
    }

    /// Encoded configurations and standardized, minimized scores of the trials that count.
    private func observations(_ trials: ArraySlice<(config: [String: ConfigValue], state: TrialState, score: Double?)>, space: SearchSpace,
                              direction: Objective.Direction) -> ([[Double]], [Double]) {
        let sign = direction == .maximize ? -1.0 : 1.0
        let finished = trials.filter { ($0.state == .finished || $0.state == .stopped) && ($0.score?.isFinite ?? false) }
        let worst = finished.compactMap { $0.score.map { sign * $0 } }.max()
        var points: [[Double]] = [], raw: [Double] = []
        for trial in trials {
            let value: Double
            if let score = trial.score, score.isFinite, trial.state == .finished || trial.state == .stopped {
                value = sign * score
            } else if trial.state == .failed, let worst {
                value = worst
            } else {
                continue
            }
            points.append(encode(trial.config, space: space))
            raw.append(value)
        }
        guard raw.count >= 2 else { return (points, raw) }
        let mean = raw.reduce(0, +) / Double(raw.count)
        let spread = (raw.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(raw.count)).squareRoot()
        return (points, raw.map { ($0 - mean) / (spread > 0 ? spread : 1) })
    }

    private func encode(_ config: [String: ConfigValue], space: SearchSpace) -> [Double] {
        space.parameters.map { parameter in config[parameter.name].flatMap { parameter.distribution.quantile(of: $0) } ?? 0.5 }
    }
}
