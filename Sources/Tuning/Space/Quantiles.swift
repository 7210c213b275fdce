import Foundation

/// Inverse distribution functions (quantiles) the search spaces sample through: a parameter's
/// value is `quantile(u)` for a uniform `u` in [0, 1), as W&B's sweeps do (`ppf`).
enum Quantiles {
    /// Φ⁻¹(p), the standard normal quantile, by Wichura's algorithm AS 241 (PPND16, relative
    /// error about 1e-16). ±infinity at 0 and 1.
    static func standardNormal(_ p: Double) -> Double {
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        let q = p - 0.5
        if abs(q) <= 0.425 {
            let r = 0.180625 - q * q
            return q * poly([3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
                             45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727], r)
                / poly([1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867,
                        39307.89580009271061, 28729.085735721942674, 5226.495278852545925], r)
        }
        var r = q < 0 ? p : 1 - p
        r = (-log(r)).squareRoot()
        let value: Double
        if r <= 5 {
            r -= 1.6
            value = poly([1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
                          1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4], r)
                / poly([1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459,
                        0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9], r)
        } else {
            r -= 5
            value = poly([6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
                          0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7], r)
                / poly([1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4,
                        1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15], r)
        }
        return q < 0 ? -value : value
    }

    /// The regularized incomplete beta function I_x(a, b), by its continued fraction (Lentz).
    static func regularizedIncompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
        let logPowers: Double = a * Foundation.log(x) + b * Foundation.log(1 - x)
        let logFront = logPowers - logBeta
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(x, a, b) / a
        }
        return 1 - exp(logFront) * betaContinuedFraction(1 - x, b, a) / b
    }

    private static func betaContinuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...500 {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d
            if abs(d) < tiny { d = tiny }
            c = 1 + even / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d
            if abs(d) < tiny { d = tiny }
            c = 1 + odd / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            h *= step
            if abs(step - 1) < 1e-16 { break }
        }
        return h
    }

    /// The Beta(a, b) quantile: the x in [0, 1] with I_x(a, b) = p, by bisection to the last bit.
    static func beta(_ p: Double, a: Double, b: Double) -> Double {
        if p <= 0 { return 0 }
        if p >= 1 { return 1 }
        var low = 0.0, high = 1.0
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if middle <= low || middle >= high { break }
            if regularizedIncompleteBeta(middle, a, b) < p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// `value` rounded to the nearest multiple of `q`, halves to even (NumPy's `np.round(v/q)*q`).
    static func quantize(_ value: Double, _ q: Double) -> Double {
        (value / q).rounded(.toNearestOrEven) * q
    }

    private static func poly(_ coefficients: [Double], _ x: Double) -> Double {
        coefficients.reversed().reduce(0) { $0 * x + $1 }
    }
}
