import Foundation

/// `log EI` for minimization: with `z = (best − μ)/σ`, `EI = σ·h(z)`, `h(z) = z·Φ(z) + φ(z)`.
/// `h` is computed directly down to z = −25 (erfc keeps Φ's relative accuracy there) and by its
/// asymptotic series `φ(z)/z² · (1 − 3/z² + 15/z⁴ − 105/z⁶ + 945/z⁸)` below, so the logarithm stays
/// finite and smooth where EI itself underflows (Ament et al., "Unexpected improvements to
/// expected improvement", NeurIPS 2023).
enum LogExpectedImprovement {
    static func value(mean: Double, variance: Double, best: Double) -> Double {
        let sigma = variance.squareRoot()
        let z = (best - mean) / sigma
        return log(sigma) + logH(z)
    }

    static func logH(_ z: Double) -> Double {
        if z >= -25 {
            let cdf = 0.5 * erfc(-z / 2.0.squareRoot())
            let pdf = exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
            return log(z * cdf + pdf)
        }
        let z2 = z * z
        let series = 1 - 3 / z2 + 15 / (z2 * z2) - 105 / (z2 * z2 * z2) + 945 / (z2 * z2 * z2 * z2)
        return -0.5 * z2 - 0.5 * log(2 * Double.pi) - log(z2) + log(series)
    }
}
