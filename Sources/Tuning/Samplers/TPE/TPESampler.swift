import Foundation
import Runtime
import Tracking

/// Optuna's tree-structured Parzen estimator (multivariate), with its documented defaults: 10
/// random startup trials; then the trials so far split into the best `γ(n) = min(⌈0.1·n⌉, 25)` and
/// the rest, a Parzen estimator fitted to each (`ParzenEstimator`), 24 candidates drawn from the
/// good side's `l(x)`, and the candidate with the largest `log l(x) − log g(x)` proposed.
///
/// It works on the parameters' quantile cube like `BayesianSampler`, but a categorical parameter
/// (choices, booleans, W&B's categorical) gets a categorical kernel, and an inactive conditional
/// parameter is left unobserved (the prior stands in) — so TPE suits spaces with many categorical
/// or conditional parameters, where a GP's distances mean little. Failed trials are left out, as
/// Optuna leaves out trials that did not complete. The lag rule is `BayesianSampler`'s.
public struct TPESampler: Sampler {
    public var startupTrials: Int
    public var candidates: Int
    public var lag: Int?

    public init(startupTrials: Int = 10, candidates: Int = 24, lag: Int = 1) {
        self.startupTrials = Swift.max(0, startupTrials)
        self.candidates = Swift.max(1, candidates)
        self.lag = Swift.max(0, lag)
    }

    public var needsHistory: Bool { true }
    public var maxBatch: Int { (lag ?? 0) + 1 }
    public func capacity(_ space: SearchSpace) throws -> Int? { nil }

    /// Optuna's `default_gamma`.
    static func gamma(_ n: Int) -> Int { Swift.min(Int((0.1 * Double(n)).rounded(.up)), 25) }

    public func propose(_ context: SamplingContext) throws -> [String: ConfigValue]? {
        let space = context.space
        let sign = context.direction == .maximize ? -1.0 : 1.0
        let known = context.previous.prefix(Swift.max(0, context.trial - (lag ?? 0))).enumerated()
            .compactMap { number, trial -> (number: Int, config: [String: ConfigValue], score: Double)? in
                guard trial.state == .finished || trial.state == .stopped, let score = trial.score, score.isFinite else { return nil }
                return (number, trial.config, sign * score)
            }
        guard context.trial >= startupTrials, !known.isEmpty, !space.parameters.isEmpty else {
            return space.configuration { SweepSeeds.quantile(context.seed, trial: context.trial, attempt: 0, name: $0.name) }
        }
        let dimensions = space.parameters.map { parameter -> ParzenEstimator.Dimension in
            guard parameter.distribution.isCategorical, let count = try? parameter.distribution.gridValues(parameter.name).count else { return .numerical }
            return .categorical(choices: count)
        }
        let ranked = known.sorted { ($0.score, $0.number) < ($1.score, $1.number) }
        let nBelow = Self.gamma(known.count)
        let below = ranked.prefix(nBelow).sorted { $0.number < $1.number }, above = ranked.dropFirst(nBelow).sorted { $0.number < $1.number }
        let encode = { (config: [String: ConfigValue]) in self.encode(config, space: space, dimensions: dimensions) }
        let good = ParzenEstimator(observations: below.map { encode($0.config) }, dimensions: dimensions)
        let bad = ParzenEstimator(observations: above.map { encode($0.config) }, dimensions: dimensions)
        var random = SeededRandom(seed: SweepSeeds.mix(context.seed, 0x7470_6500_0000_0000 &+ UInt64(truncatingIfNeeded: context.trial)))
        var best: (point: [Double], score: Double)?
        for _ in 0..<candidates {
            let x = good.sample(&random)
            let score = good.logDensity(x) - bad.logDensity(x)
            if best.map({ score > $0.score }) ?? true { best = (x, score) }
        }
        guard let point = best?.point else { return nil }
        let index = Dictionary(uniqueKeysWithValues: space.parameters.enumerated().map { ($1.name, $0) })
        return space.configuration { parameter in
            let d = index[parameter.name] ?? 0
            switch dimensions[d] {
            case .categorical(let choices): return (point[d] + 0.5) / Double(choices)
            case .numerical: return Swift.min(Swift.max(point[d], 0), 1 - 1e-12)
            }
        }
    }

    /// Quantile positions (a choice's index for categorical dimensions); nil for inactive parameters.
    private func encode(_ config: [String: ConfigValue], space: SearchSpace, dimensions: [ParzenEstimator.Dimension]) -> [Double?] {
        space.parameters.enumerated().map { d, parameter in
            guard let value = config[parameter.name], let u = parameter.distribution.quantile(of: value) else { return nil }
            switch dimensions[d] {
            case .categorical(let choices): return Double(Swift.min(Swift.max(Int(u * Double(choices)), 0), choices - 1))
            case .numerical: return u
            }
        }
    }
}
