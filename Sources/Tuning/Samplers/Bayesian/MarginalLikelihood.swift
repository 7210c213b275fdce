import Foundation
import Runtime

/// The GP's log marginal likelihood with the priors of `GaussianProcess`, and its analytic
/// gradient `½ tr((ααᵀ − K⁻¹) ∂K/∂θ)`, for many θ on the same data: the squared differences
/// `(x_ik − x_jk)²` of every pair are computed once, so one evaluation costs `O(n²d)` arithmetic
/// with no allocation per pair, plus the Cholesky factorization and inverse.
struct MarginalLikelihood {
    let count: Int
    let dimensions: Int
    let targets: [Double]
    /// `(x_ik − x_jk)²` for the pairs i > j, pair by pair, dimension by dimension.
    private let squaredDifferences: [Double]

    init(points: [Double], dimensions d: Int, targets: [Double]) {
        count = targets.count
        dimensions = d
        self.targets = targets
        var differences: [Double] = []
        differences.reserveCapacity(count * (count - 1) / 2 * d)
        for i in 0..<count {
            for j in 0..<i {
                for k in 0..<d {
                    let delta = points[i * d + k] - points[j * d + k]
                    differences.append(delta * delta)
                }
            }
        }
        squaredDifferences = differences
    }

    /// The log marginal likelihood plus the log priors at θ, and its gradient.
    func evaluate(_ theta: [Double]) throws -> (Double, [Double]) {
        let n = count, d = dimensions
        let signal = exp(theta[d]), noise = exp(theta[d + 1])
        let inverseSquares = theta.prefix(d).map { exp(-2 * $0) }
        // K, and for each pair the factor (5/3) σ² (1 + √5 r) e^(−√5 r) of ∂k/∂log ℓ_k.
        var covariance = [Double](repeating: 0, count: n * n)
        var factors = [Double](repeating: 0, count: squaredDifferences.count / Swift.max(d, 1))
        var pair = 0
        for i in 0..<n {
            for j in 0..<i {
                var r2 = 0.0
                for k in 0..<d { r2 += squaredDifferences[pair * d + k] * inverseSquares[k] }
                let s = (5 * r2).squareRoot(), e = exp(-s)
                let value = signal * (1 + s + s * s / 3) * e
                covariance[i * n + j] = value
                covariance[j * n + i] = value
                factors[pair] = 5.0 / 3.0 * signal * (1 + s) * e
                pair += 1
            }
            covariance[i * n + i] = signal + noise + GaussianProcess.jitter
        }
        let factor = try Cholesky(covariance, n: n)
        let alpha = try factor.solve(targets)
        let inverse = try factor.inverse()
        var value = -0.5 * zip(targets, alpha).reduce(0) { $0 + $1.0 * $1.1 } - 0.5 * factor.logDeterminant - Double(n) / 2 * log(2 * Double.pi)
        var gradient = [Double](repeating: 0, count: d + 2)
        pair = 0
        for i in 0..<n {
            for j in 0..<i {
                let w = alpha[i] * alpha[j] - inverse[i * n + j]  // ½(ααᵀ − K⁻¹)_ij, twice for the symmetric pair
                let wf = w * factors[pair]
                for k in 0..<d { gradient[k] += wf * squaredDifferences[pair * d + k] * inverseSquares[k] }
                gradient[d] += w * covariance[i * n + j]
                pair += 1
            }
            let w = 0.5 * (alpha[i] * alpha[i] - inverse[i * n + i])
            gradient[d] += w * signal
            gradient[d + 1] += w * noise
        }
        // Log-normal priors: −(θ − centre)²/(2·width²) for each component.
        for k in theta.indices {
            let (centre, width) = k < d ? (log(0.5), 1.5) : (k == d ? (0.0, 2.0) : (log(1e-3), 2.0))
            value -= (theta[k] - centre) * (theta[k] - centre) / (2 * width * width)
            gradient[k] -= (theta[k] - centre) / (width * width)
        }
        return (value, gradient)
    }
}
