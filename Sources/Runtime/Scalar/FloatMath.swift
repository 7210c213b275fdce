/// Single-precision `exp` and `log1p` as straight-line arithmetic, bit operations and selects,
/// with no call and no branch, so a loop applying them is vectorized by the compiler (the C
/// library's `expf`/`log1pf` are one call per element: a third of the case study's evaluation
/// pass went to them). `Float`'s `TensorScalar.exp`/`log1p` are these; `Double` keeps the C
/// library's functions, so the Float64 gradient checks are unaffected.
///
/// Accuracy against the C library's `Double` functions, measured once over all 2³² inputs: below
/// 1 unit in the last place (ulp) of the correctly rounded result for both (exp: 0.990 ulp at
/// most, 0.750 for subnormal results; log1p: 0.863); the tests check the same bounds over 4.3
/// million bit patterns. Special values are C's (`exp(±∞)` = ∞ / 0, `log1p(−1)` = −∞,
/// `log1p(x < −1)` = NaN, NaN in gives NaN out, `log1p(±0)` = ±0).
enum FloatMath {
    // exp: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite split of ln2), e^r by Cephes' polynomial,
    // then ·2ⁿ as two powers of two (2^⌊n/2⌋·2^(n−⌊n/2⌋)) so subnormal results round once.
    private static let log2e: Float = 1.44269504088896341
    private static let roundingMagic: Float = 12_582_912 // 1.5·2²³: adding it rounds to an integer
    private static let ln2High: Float = 0.693359375 // 355/512, exact; n·ln2High is exact for |n| ≤ 2¹⁵
    private static let ln2Low: Float = -2.12194440e-4
    private static let expLowest: Float = -104 // e^−104 rounds to 0
    private static let expHighest: Float = 89 // e^89 overflows to ∞

    /// eˣ, within 1 ulp (see the type's documentation).
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        // Swift.min/max keep a NaN `x` (they return `x` when a comparison with it is false).
        let clamped = Swift.min(Swift.max(x, expLowest), expHighest)
        let shifted = clamped * log2e + roundingMagic
        let n = shifted - roundingMagic
        let r = (clamped - n * ln2High) - n * ln2Low
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let expR = p * (r * r) + r + 1
        // `shifted` lies in [2²³, 2²⁴), where one unit of its bit pattern is 1: its bits minus the
        // magic's are n as an integer, in [−150, 129].
        let exponent = Int32(bitPattern: shifted.bitPattern) &- Int32(bitPattern: roundingMagic.bitPattern)
        let half = exponent &>> 1
        return expR * powerOfTwo(half) * powerOfTwo(exponent &- half)
    }

    /// 2ᵏ for k in [−126, 127], from its bit pattern.
    @inline(__always)
    private static func powerOfTwo(_ k: Int32) -> Float {
        Float(bitPattern: UInt32(bitPattern: (k &+ 127) &<< 23))
    }

    // log1p: musl's log1pf (from FreeBSD's s_log1pf.c) without its branches: v = 1 + x reduced to
    // m·2ᵏ with m in [√2/2, √2), log m by the polynomial in s = f/(2+f), plus the rounding error
    // of 1 + x as the correction c/v; special values are selected at the end.
    private static let ln2HighBits: Float = 6.9313812256e-01
    private static let ln2LowBits: Float = 9.0580006145e-06
    private static let lg1: Float = 0.66666662693 // 0xaaaaaa.0p-24
    private static let lg2: Float = 0.40000972152 // 0xccce13.0p-25
    private static let lg3: Float = 0.28498786688 // 0x91e9ee.0p-25
    private static let lg4: Float = 0.24279078841 // 0xf89e26.0p-26
    private static let sqrtHalfBits: UInt32 = 0x3f35_04f3
    private static let oneBits: UInt32 = 0x3f80_0000

    /// ln(1 + x), within 1 ulp (see the type's documentation).
    @inline(__always)
    static func log1p(_ x: Float) -> Float {
        let v = 1 + x
        let shiftedBits = v.bitPattern &+ (oneBits &- sqrtHalfBits)
        let k = Int32(bitPattern: shiftedBits &>> 23) &- 127
        // The rounding error of 1 + x, relative to v (negligible, and 0 here, once k ≥ 25).
        let error = k >= 2 ? 1 - (v - x) : x - (v - 1)
        let correction = k < 25 ? error / v : 0
        let f = Float(bitPattern: (shiftedBits & 0x007f_ffff) &+ sqrtHalfBits) - 1
        let s = f / (2 + f)
        let z = s * s
        let w = z * z
        let t1 = w * (lg2 + w * lg4)
        let t2 = z * (lg1 + w * lg3)
        let halfSquare = 0.5 * f * f
        let dk = Float(k)
        var result = s * (halfSquare + (t2 + t1)) + (dk * ln2LowBits + correction) - halfSquare + f + dk * ln2HighBits
        result = x < -1 ? .nan : result
        result = x == -1 ? -.infinity : result
        result = x == .infinity ? x : result
        // NaN stays NaN; ±0 and subnormal x come out as themselves (log1p(x) = x there).
        return x != x || x == 0 ? x : result
    }
}
