import Foundation
import Runtime

/// One side of TPE (the good trials' `l(x)` or the rest's `g(x)`): Optuna's Parzen estimator, a
/// mixture of product kernels, one per observation plus a prior, over the unit cube of the
/// parameters' quantiles.
///
/// - A numerical dimension's kernel is a normal truncated to [0, 1] at the observation, its width
///   the larger distance to a neighbour among the sorted observations and the ends (the outermost
///   kernels take the inner distance: Optuna's `consider_endpoints=False`), clipped to
///   [1/min(100, 1 + kernels), 1] (the "magic clip"); the prior is N(0.5, 1) truncated.
/// - A categorical dimension's kernel puts `prior_weight/kernels` on every choice and 1 more on
///   the observed one, normalized; the prior is uniform.
/// - Mixture weights: Optuna's `default_weights` (flat up to 25 observations, older ones ramped
///   down beyond), then the prior with weight 1, normalized.
/// - An observation without a value for a dimension (an inactive conditional parameter) uses the
///   prior's factor there.
struct ParzenEstimator {
    /// A dimension: numerical, or categorical with `choices` cells.
    enum Dimension: Equatable {
        case numerical
        case categorical(choices: Int)
    }

    let dimensions: [Dimension]
    /// Kernel centres (numerical: the position; categorical: the choice index), nil where unobserved.
    private let centres: [[Double?]]
    private let widths: [[Double]]
    private let logWeights: [Double]
    private let priorWeight = 1.0

    init(observations: [[Double?]], dimensions: [Dimension]) {
        self.dimensions = dimensions
        let n = observations.count
        let raw = Self.defaultWeights(n) + [priorWeight]
        let total = raw.reduce(0, +)
        logWeights = raw.map { log($0 / total) }
        var centres: [[Double?]] = observations
        centres.append(dimensions.map { _ in nil })  // the prior
        self.centres = centres
        widths = dimensions.indices.map { d in
            guard dimensions[d] == .numerical else { return [] }
            return Self.widths(observations.map { $0[d] }, kernels: n + 1)
        }
    }

    /// Optuna's `default_weights(n)`: ones up to 25; beyond, a ramp from 1/n to 1 over the oldest
    /// n − 25, then 25 ones.
    static func defaultWeights(_ n: Int) -> [Double] {
        guard n >= 25 else { return [Double](repeating: 1, count: n) }
        let rampCount = n - 25
        let ramp = (0..<rampCount).map { i in rampCount == 1 ? 1.0 / Double(n) : 1.0 / Double(n) + (1 - 1.0 / Double(n)) * Double(i) / Double(rampCount - 1) }
        return ramp + [Double](repeating: 1, count: 25)
    }

    /// Kernel widths of one numerical dimension (nil positions get the prior's width, 1).
    static func widths(_ positions: [Double?], kernels: Int) -> [Double] {
        let observed = positions.enumerated().compactMap { i, x in x.map { (i, $0) } }.sorted { $0.1 < $1.1 }
        var result = [Double](repeating: 1, count: positions.count + 1)
        let minimum = 1 / Swift.min(100, 1 + Double(kernels))
        let points = [0.0] + observed.map(\.1) + [1.0]
        for (rank, (index, _)) in observed.enumerated() {
            let k = rank + 1
            var width = Swift.max(points[k] - points[k - 1], points[k + 1] - points[k])
            if points.count >= 4 {
                if rank == 0 { width = points[2] - points[1] }
                if rank == observed.count - 1 { width = points[points.count - 2] - points[points.count - 3] }
            }
            result[index] = Swift.min(Swift.max(width, minimum), 1)
        }
        return result
    }

    /// Draws a point: a kernel by weight, then each dimension from it.
    func sample(_ random: inout SeededRandom) -> [Double] {
        var r = random.uniform(), kernel = logWeights.count - 1
        for (k, w) in logWeights.enumerated() {
            r -= exp(w)
            if r < 0 { kernel = k; break }
        }
        return dimensions.indices.map { d in
            switch dimensions[d] {
            case .categorical(let choices):
                let probabilities = categoricalProbabilities(kernel, d, choices)
                var r = random.uniform()
                for (c, p) in probabilities.enumerated() {
                    r -= p
                    if r < 0 { return Double(c) }
                }
                return Double(choices - 1)
            case .numerical:
                let (mu, sigma) = (centres[kernel][d] ?? 0.5, widths[d][kernel])
                let a = Self.cdf((0 - mu) / sigma), b = Self.cdf((1 - mu) / sigma)
                let u = a + random.uniform() * (b - a)
                return Swift.min(Swift.max(mu + sigma * Quantiles.standardNormal(Swift.min(Swift.max(u, 1e-300), 1 - 1e-16)), 0), 1)
            }
        }
    }

    /// `log p(x)` under the mixture.
    func logDensity(_ x: [Double]) -> Double {
        var terms: [Double] = []
        terms.reserveCapacity(logWeights.count)
        for kernel in logWeights.indices {
            var sum = logWeights[kernel]
            for d in dimensions.indices {
                switch dimensions[d] {
                case .categorical(let choices):
                    sum += log(categoricalProbabilities(kernel, d, choices)[Int(x[d])])
                case .numerical:
                    let (mu, sigma) = (centres[kernel][d] ?? 0.5, widths[d][kernel])
                    let mass = Self.cdf((1 - mu) / sigma) - Self.cdf((0 - mu) / sigma)
                    let z = (x[d] - mu) / sigma
                    sum += -0.5 * z * z - 0.5 * log(2 * Double.pi) - log(sigma) - log(Swift.max(mass, 1e-300))
                }
            }
            terms.append(sum)
        }
        let top = terms.max() ?? -.infinity
        return top + log(terms.reduce(0) { $0 + exp($1 - top) })
    }

    private func categoricalProbabilities(_ kernel: Int, _ d: Int, _ choices: Int) -> [Double] {
        let kernels = Double(logWeights.count)
        var p = [Double](repeating: priorWeight / kernels, count: choices)
        if let observed = centres[kernel][d] { p[Int(observed)] += 1 }
        let total = p.reduce(0, +)
        return p.map { $0 / total }
    }

    static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }
}
