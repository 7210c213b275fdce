import Foundation

/// The Matérn-5/2 kernel with one length scale per dimension (automatic relevance determination):
/// `k(x, x') = σ² (1 + √5 r + 5r²/3) e^(−√5 r)` with `r² = Σ_j ((x_j − x'_j)/ℓ_j)²`.
struct MaternKernel: Sendable, Equatable {
    var lengthScales: [Double]
    var signalVariance: Double

    func callAsFunction(_ a: ArraySlice<Double>, _ b: ArraySlice<Double>) -> Double {
        signalVariance * Self.shape(Self.scaledDistance(a, b, lengthScales))
    }

    /// `(1 + √5 r + 5r²/3) e^(−√5 r)`.
    static func shape(_ r: Double) -> Double {
        let s = 5.0.squareRoot() * r
        return (1 + s + s * s / 3) * exp(-s)
    }

    /// `∂k/∂ log ℓ_j = (5/3) σ² (1 + √5 r) e^(−√5 r) · ((x_j − x'_j)/ℓ_j)²`, for every j.
    func lengthScaleGradients(_ a: ArraySlice<Double>, _ b: ArraySlice<Double>) -> [Double] {
        let r = Self.scaledDistance(a, b, lengthScales)
        let s = 5.0.squareRoot() * r
        let common = 5.0 / 3.0 * signalVariance * (1 + s) * exp(-s)
        return lengthScales.indices.map { j in
            let d = (a[a.startIndex + j] - b[b.startIndex + j]) / lengthScales[j]
            return common * d * d
        }
    }

    static func scaledDistance(_ a: ArraySlice<Double>, _ b: ArraySlice<Double>, _ lengthScales: [Double]) -> Double {
        var sum = 0.0
        for j in lengthScales.indices {
            let d = (a[a.startIndex + j] - b[b.startIndex + j]) / lengthScales[j]
            sum += d * d
        }
        return sum.squareRoot()
    }
}
