import Foundation
import Testing
import Runtime

/// `Float.exp` and `Float.log1p` (the runtime's inline, vectorizable versions) against the C
/// library's `Double` functions, over every 1009th bit pattern of `Float` (4.3 million values of
/// both signs, every exponent) and the edges: the accuracy the documentation states, and C's
/// special values.
struct FloatMathTests {
    /// Every 1009th 32-bit pattern, and the values where the functions change regime.
    static let samples: [Float] = {
        var values = stride(from: UInt64(0), through: UInt64(UInt32.max), by: 1009).map { Float(bitPattern: UInt32($0)) }
        values += [0, -0, 1, -1, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                   .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                   88.72283, 88.722839, 88.72284, 89, 89.5, -87.33654, -87.3366, -103.27893, -103.97208, -104, -104.5, -150,
                   Float(-1).nextUp, Float(-1).nextDown, Float(-1).nextUp.nextUp, 1e-8, -1e-8, 5.9604645e-8, 0.41421357, -0.29289323,
                   Float(1 << 24), Float(1 << 25), Float(1 << 26)]
        return values
    }()

    /// |result − exact| in units of the last place of the correctly rounded result.
    static func ulpError(_ result: Float, exact: Double) -> Double {
        let rounded = Float(exact)
        if rounded.isInfinite || rounded.isNaN || result.isInfinite || result.isNaN {
            return result == rounded || (result.isNaN && rounded.isNaN) ? 0 : .infinity
        }
        return Swift.abs(Double(result) - exact) / Double(rounded.ulp)
    }

    @Test func expIsWithinOneUlp() {
        var worst = (error: 0.0, x: Float(0))
        var worstSubnormal = (error: 0.0, x: Float(0))
        for x in Self.samples {
            let exact = Foundation.exp(Double(x))
            let error = Self.ulpError(Float.exp(x), exact: exact)
            if Float(exact) != 0 && Float(exact).isSubnormal {
                if error > worstSubnormal.error { worstSubnormal = (error, x) }
            } else if error > worst.error {
                worst = (error, x)
            }
        }
        #expect(worst.error < 1, "exp(\(worst.x)) is \(worst.error) ulp off (\(Float.exp(worst.x)) against \(Foundation.exp(Double(worst.x))))")
        // A subnormal result (computed as two scalings by powers of two, rounded once) too.
        #expect(worstSubnormal.error < 1, "exp(\(worstSubnormal.x)) is \(worstSubnormal.error) ulp off")
    }

    @Test func log1pIsWithinOneUlp() {
        var worst = (error: 0.0, x: Float(0))
        for x in Self.samples where x >= -1 || x.isNaN {
            let error = Self.ulpError(Float.log1p(x), exact: Foundation.log1p(Double(x)))
            if error > worst.error { worst = (error, x) }
        }
        #expect(worst.error < 1, "log1p(\(worst.x)) is \(worst.error) ulp off (\(Float.log1p(worst.x)) against \(Foundation.log1p(Double(worst.x))))")
    }

    @Test func specialValuesAreTheCLibrarys() {
        #expect(Float.exp(.infinity) == .infinity)
        #expect(Float.exp(-.infinity) == 0)
        #expect(Float.exp(.nan).isNaN)
        #expect(Float.exp(0) == 1)
        #expect(Float.exp(89) == .infinity)
        #expect(Float.exp(-104) == 0)
        #expect(Float.log1p(-1) == -.infinity)
        #expect(Float.log1p(-1.5).isNaN)
        #expect(Float.log1p(-.infinity).isNaN)
        #expect(Float.log1p(.infinity) == .infinity)
        #expect(Float.log1p(.nan).isNaN)
        #expect(Float.log1p(0) == 0 && Float.log1p(0).sign == .plus)
        #expect(Float.log1p(-0.0) == 0 && Float.log1p(-0.0).sign == .minus)
        #expect(Float.log1p(.leastNonzeroMagnitude) == .leastNonzeroMagnitude)
    }

    @Test func vectorizedLoopsGiveTheScalarResults() throws {
        // The same functions applied one at a time (a loop the compiler cannot vectorize because
        // each value depends on the previous) and over an array: the loop's lanes and its
        // remainder compute what the scalar code does.
        let inputs = (0..<1003).map { Float($0) * 0.173 - 86.5 }
        var vectorExp = [Float](repeating: 0, count: inputs.count), vectorLog = vectorExp
        for i in inputs.indices { vectorExp[i] = Float.exp(inputs[i]) }
        for i in inputs.indices { vectorLog[i] = Float.log1p(vectorExp[i]) }
        var carried: Float = 0
        for i in inputs.indices {
            let e = Float.exp(inputs[i] + carried * 0)
            let l = Float.log1p(e + carried * 0)
            #expect(e.bitPattern == vectorExp[i].bitPattern && l.bitPattern == vectorLog[i].bitPattern, "at \(inputs[i])")
            carried = l
        }
    }
}
