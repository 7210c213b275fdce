import Foundation
import Testing
import Runtime
@testable import Tuning

/// The Gaussian process of the Bayesian sampler: kernel and likelihood gradients against central
/// differences (Float64, random direction), the posterior on a known function, log EI against
/// numerical integration, and the acquisition optimizer on a known maximum.
struct GaussianProcessTests {
    static func points(_ count: Int, _ d: Int, seed: UInt64) -> [Double] {
        var random = SeededRandom(seed: seed)
        return (0..<(count * d)).map { _ in random.uniform() }
    }

    @Test func maternLengthScaleGradientsMatchCentralDifferences() {
        let kernel = MaternKernel(lengthScales: [0.3, 1.7, 0.8], signalVariance: 1.4)
        let a: ArraySlice<Double> = [0.1, 0.5, 0.9], b: ArraySlice<Double> = [0.4, 0.2, 0.7]
        let analytic = kernel.lengthScaleGradients(a, b)
        for j in 0..<3 {
            let h = 1e-6
            var up = kernel, down = kernel
            up.lengthScales[j] *= exp(h)
            down.lengthScales[j] *= exp(-h)
            let numeric = (up(a, b) - down(a, b)) / (2 * h)
            #expect(Swift.abs(analytic[j] - numeric) < 1e-7 * Swift.max(1, Swift.abs(numeric)), "ℓ_\(j): \(analytic[j]) vs \(numeric)")
        }
    }

    @Test func logMarginalLikelihoodGradientMatchesCentralDifferences() throws {
        let d = 2, n = 12
        let x = Self.points(n, d, seed: 4)
        let y = (0..<n).map { sin(4 * x[$0 * d]) + 0.5 * x[$0 * d + 1] }
        var random = SeededRandom(seed: 9)
        let theta = [log(0.4), log(0.9), log(1.2), log(0.01)]
        let direction = theta.map { _ in random.uniform(-1, 1) }
        let (_, gradient) = try GaussianProcess.objective(theta, points: x, dimensions: d, targets: y)
        let h = 1e-5
        let up = try GaussianProcess.objective(zip(theta, direction).map { $0 + h * $1 }, points: x, dimensions: d, targets: y).0
        let down = try GaussianProcess.objective(zip(theta, direction).map { $0 - h * $1 }, points: x, dimensions: d, targets: y).0
        let numeric = (up - down) / (2 * h)
        let analytic = zip(gradient, direction).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(Swift.abs(analytic - numeric) < 1e-6 * Swift.max(1, Swift.abs(numeric)), "\(analytic) vs \(numeric)")
    }

    @Test func thePosteriorFollowsASmoothFunctionAndIsUnsureAwayFromTheData() throws {
        let xs = (0..<9).map { Double($0) / 8 * 0.6 }  // data on [0, 0.6] only
        let ys = xs.map { sin(6 * $0) }
        let gp = try GaussianProcess.fitted(points: xs, dimensions: 1, targets: ys, seed: 1)
        for x in [0.05, 0.2, 0.33, 0.5] {
            let (mean, variance) = gp.predict([x])
            #expect(Swift.abs(mean - sin(6 * x)) < 0.05, "at \(x): \(mean) vs \(sin(6 * x))")
            #expect(variance < 0.01)
        }
        #expect(gp.predict([1.0]).variance > 10 * gp.predict([0.3]).variance)
    }

    @Test func logExpectedImprovementMatchesNumericalIntegration() {
        for (mean, sigma, best) in [(0.0, 1.0, 0.0), (1.0, 0.5, 0.2), (-0.3, 2.0, 0.5), (2.0, 0.3, 0.0)] {
            // EI = E[max(best − Y, 0)], Y ~ N(mean, σ²), by the trapezoid rule over mean ± 12σ.
            let steps = 200_000
            let low = mean - 12 * sigma, width = 24 * sigma / Double(steps)
            var integral = 0.0
            for k in 0...steps {
                let y = low + Double(k) * width
                let density = exp(-0.5 * pow((y - mean) / sigma, 2)) / (sigma * (2 * Double.pi).squareRoot())
                integral += (k == 0 || k == steps ? 0.5 : 1) * Swift.max(best - y, 0) * density * width
            }
            let value = LogExpectedImprovement.value(mean: mean, variance: sigma * sigma, best: best)
            #expect(Swift.abs(exp(value) - integral) < 1e-6 * Swift.max(integral, 1e-3), "μ \(mean) σ \(sigma): \(exp(value)) vs \(integral)")
        }
    }

    @Test func logExpectedImprovementStaysFiniteAndSmoothFarFromTheBest() {
        let zs = stride(from: -60.0, through: -2, by: 0.5).map { LogExpectedImprovement.logH($0) }
        #expect(zs.allSatisfy { $0.isFinite })
        #expect(zip(zs, zs.dropFirst()).allSatisfy { $0 < $1 })  // increasing in z
        // The two formulas meet at z = −25.
        #expect(Swift.abs(LogExpectedImprovement.logH(-25 + 1e-9) - LogExpectedImprovement.logH(-25 - 1e-9)) < 1e-6)
    }

    @Test func theAcquisitionOptimizerFindsAKnownMaximumReproducibly() {
        let f: ([Double]) -> Double = { x in -(pow(x[0] - 0.3, 2) + 4 * pow(x[1] - 0.8, 2)) }
        let found = AcquisitionOptimizer.maximize(dimensions: 2, seed: 5, f)
        #expect(Swift.abs(found.point[0] - 0.3) < 1e-3 && Swift.abs(found.point[1] - 0.8) < 1e-3, "\(found.point)")
        #expect(AcquisitionOptimizer.maximize(dimensions: 2, seed: 5, f).point == found.point)
        // A maximum on the boundary: x = 1.
        let edge = AcquisitionOptimizer.maximize(dimensions: 1, seed: 2) { $0[0] }
        #expect(edge.point == [1])
    }
}
