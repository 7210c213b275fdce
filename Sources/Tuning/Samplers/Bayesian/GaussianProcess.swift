import Foundation
import Runtime

/// A Gaussian-process regression of standardized targets on points in the unit cube, with a
/// Matérn-5/2 ARD kernel plus observation noise: `K = k(X, X) + (σ_n² + 10⁻⁶) I`.
///
/// The kernel's hyperparameters `θ = (log ℓ_1 … log ℓ_d, log σ², log σ_n²)` maximize the log
/// marginal likelihood `−½ yᵀK⁻¹y − ½ log det K − (n/2) log 2π` plus weak log-normal priors that
/// keep them away from degenerate fits (ℓ centred on 0.5, σ² on 1, σ_n² on 10⁻³), by Adam on the
/// analytic gradient `½ tr((ααᵀ − K⁻¹) ∂K/∂θ)` from several seeded starts.
struct GaussianProcess: Sendable {
    let points: [Double]
    let count: Int
    let dimensions: Int
    let targets: [Double]
    let kernel: MaternKernel
    let noiseVariance: Double
    private let alpha: [Double]
    private let inverse: [Double]

    static let jitter = 1e-6

    /// Fits θ from `restarts` starts (the default point first, then seeded random ones) and keeps
    /// the best; then conditions on the data.
    static func fitted(points: [Double], dimensions: Int, targets: [Double], seed: UInt64, restarts: Int = 4) throws -> GaussianProcess {
        var random = SeededRandom(seed: seed)
        var best: (theta: [Double], value: Double)?
        let likelihood = MarginalLikelihood(points: points, dimensions: dimensions, targets: targets)
        for start in 0..<restarts {
            var theta = [Double](repeating: log(0.5), count: dimensions) + [0, log(1e-3)]
            if start > 0 { theta = theta.map { $0 + random.normal(standardDeviation: 1) } }
            guard let (fitted, value) = try? maximize(theta, likelihood: likelihood) else { continue }
            if best.map({ value > $0.value }) ?? true { best = (fitted, value) }
        }
        guard let best else { throw TuningError.invalidSearch("the Gaussian process could not be fitted to \(targets.count) points") }
        return try GaussianProcess(points: points, dimensions: dimensions, targets: targets, theta: best.theta)
    }

    init(points: [Double], dimensions: Int, targets: [Double], theta: [Double]) throws {
        self.points = points
        self.dimensions = dimensions
        self.targets = targets
        count = targets.count
        (kernel, noiseVariance) = Self.unpack(theta, dimensions: dimensions)
        let factor = try Cholesky(Self.covariance(points, count: count, kernel: kernel, noise: noiseVariance), n: count)
        alpha = try factor.solve(targets)
        inverse = try factor.inverse()
    }

    /// Posterior mean and variance of the latent function at `x`.
    func predict(_ x: ArraySlice<Double>) -> (mean: Double, variance: Double) {
        var kStar = [Double](repeating: 0, count: count)
        for i in 0..<count { kStar[i] = kernel(x, row(i)) }
        var mean = 0.0, quadratic = 0.0
        for i in 0..<count {
            mean += kStar[i] * alpha[i]
            var inner = 0.0
            for j in 0..<count { inner += inverse[i * count + j] * kStar[j] }
            quadratic += kStar[i] * inner
        }
        return (mean, Swift.max(kernel.signalVariance - quadratic, 1e-12))
    }

    private func row(_ i: Int) -> ArraySlice<Double> { points[(i * dimensions)..<((i + 1) * dimensions)] }

    // MARK: Hyperparameters

    static func unpack(_ theta: [Double], dimensions: Int) -> (MaternKernel, Double) {
        let kernel = MaternKernel(lengthScales: theta.prefix(dimensions).map { exp($0) }, signalVariance: exp(theta[dimensions]))
        return (kernel, exp(theta[dimensions + 1]))
    }

    static func covariance(_ points: [Double], count n: Int, kernel: MaternKernel, noise: Double) -> [Double] {
        let d = kernel.lengthScales.count
        var k = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                let value = kernel(points[(i * d)..<((i + 1) * d)], points[(j * d)..<((j + 1) * d)])
                k[i * n + j] = value
                k[j * n + i] = value
            }
            k[i * n + i] += noise + jitter
        }
        return k
    }

    /// The log marginal likelihood plus the log priors, and its gradient in θ.
    static func objective(_ theta: [Double], points: [Double], dimensions d: Int, targets y: [Double]) throws -> (Double, [Double]) {
        try MarginalLikelihood(points: points, dimensions: d, targets: y).evaluate(theta)
    }

    /// Adam ascent on the objective, θ kept in a box that keeps K well conditioned.
    private static func maximize(_ start: [Double], likelihood: MarginalLikelihood, steps: Int = 150, rate: Double = 0.05) throws -> ([Double], Double) {
        let d = likelihood.dimensions
        let low = [Double](repeating: log(1e-2), count: d) + [log(1e-2), log(1e-6)]
        let high = [Double](repeating: log(20), count: d) + [log(20), log(2)]
        var theta = zip(start, zip(low, high)).map { Swift.min(Swift.max($0, $1.0), $1.1) }
        var m = [Double](repeating: 0, count: theta.count), v = m
        var best = (theta, try likelihood.evaluate(theta).0)
        for t in 1...steps {
            let (value, gradient) = try likelihood.evaluate(theta)
            if value > best.1 { best = (theta, value) }
            for k in theta.indices {
                m[k] = 0.9 * m[k] + 0.1 * gradient[k]
                v[k] = 0.999 * v[k] + 0.001 * gradient[k] * gradient[k]
                let step = rate * (m[k] / (1 - pow(0.9, Double(t)))) / ((v[k] / (1 - pow(0.999, Double(t)))).squareRoot() + 1e-8)
                theta[k] = Swift.min(Swift.max(theta[k] + step, low[k]), high[k])
            }
        }
        let last = try likelihood.evaluate(theta).0
        return last > best.1 ? (theta, last) : best
    }
}
