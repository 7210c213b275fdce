import Testing
import CKernels
@testable import Runtime

/// The Float32 kernels written in C (`CKernels`, built for AVX2 and baseline x86-64) against
/// plain scalar loops of the formulas their Swift counterparts compute, operation by operation in
/// the same order: bit for bit, over shapes around the 8-lane blocks, with NaN, ±0 and values of
/// every sign.
struct CKernelsTests {
    /// Deterministic values: mostly ordinary, with NaN, −0, +0 and tiny and large ones mixed in.
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { i in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Float(state >> 40) / Float(1 << 24) * 4 - 2
            switch (Int(state >> 20) &+ i) % 23 {
            case 0: return .nan
            case 1: return -0.0
            case 2: return 0
            case 3: return u * 1e-39  // subnormal
            case 4: return u * 1e30
            default: return u
            }
        }
    }

    /// The same bits (any NaN matches any NaN).
    static func same(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern }
    }

    static func relu(_ x: Float) -> Float { Swift.max(x, 0) }

    @Test(arguments: [(1, 1, 1), (3, 5, 2), (4, 8, 2), (7, 9, 3), (32, 50, 2), (5, 57, 17), (2, 16, 1), (9, 33, 4), (3, 130, 1), (4, 72, 2), (2, 200, 5), (3, 64, 2)])
    func gemmWithBiasAndReLUIsTheScalarFormulaBitForBit(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = Self.values(m * k, seed: 1), b = Self.values(k * n, seed: 2), bias = Self.values(n, seed: 3)
        for (hasBias, relu) in [(true, true), (true, false), (false, true), (false, false)] {
            var expected = [Float](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n {
                    let first = a[i * k] * b[j]
                    var sum = hasBias ? bias[j] + first : first
                    for p in 1..<Swift.max(k, 1) { sum = sum + a[i * k + p] * b[p * n + j] }
                    expected[i * n + j] = relu ? Self.relu(sum) : sum
                }
            }
            var output = [Float](repeating: 7, count: m * n)
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    bias.withUnsafeBufferPointer { bias in
                        output.withUnsafeMutableBufferPointer { out in
                            Gemm.epilogue(m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!, bias: hasBias ? bias.baseAddress! : nil,
                                          relu: relu, output: out.baseAddress!)
                        }
                    }
                }
            }
            #expect(Self.same(output, expected), "m \(m) n \(n) k \(k) bias \(hasBias) relu \(relu)")
        }
    }

    @Test(arguments: [(1, 1), (3, 7), (4, 8), (5, 9), (500, 50), (6, 17), (8, 64)])
    func matrixVectorProductSumsEightLanesInOrderBitForBit(shape: (Int, Int)) {
        let (m, k) = shape
        let a = Self.values(m * k, seed: 4), x = Self.values(k, seed: 5), start = Self.values(m, seed: 6)
        for (alpha, beta) in [(Float(1), Float(0)), (1, 1), (0.5, -2)] {
            let body = k - k % 8
            let expected = (0..<m).map { i -> Float in
                var lanes = [Float](repeating: 0, count: 8)
                for p in 0..<body { lanes[p % 8] = lanes[p % 8] + a[i * k + p] * x[p] }
                var total = lanes[0]
                for l in 1..<8 { total += lanes[l] }
                for p in body..<k { total += a[i * k + p] * x[p] }
                return beta == 0 ? alpha * total : beta * start[i] + alpha * total
            }
            var c = start
            a.withUnsafeBufferPointer { a in
                x.withUnsafeBufferPointer { x in
                    c.withUnsafeMutableBufferPointer { c in
                        Gemm.multiply(transposeA: false, transposeB: false, m: m, n: 1, k: k, alpha: alpha, a: a.baseAddress!, b: x.baseAddress!,
                                      c: c.baseAddress!, beta: beta)
                    }
                }
            }
            #expect(Self.same(c, expected), "m \(m) k \(k) alpha \(alpha) beta \(beta)")
        }
    }

    @Test(arguments: [(1, 1), (3, 7), (4, 8), (5, 9), (500, 50), (2, 57)])
    func batchNormInferenceIsScaleThenShiftBitForBit(shape: (Int, Int)) {
        let (rows, features) = shape
        let x = Self.values(rows * features, seed: 7)
        let mean = Self.values(features, seed: 8), variance = Self.values(features, seed: 9).map { abs($0) }
        let gamma = Self.values(features, seed: 10), beta = Self.values(features, seed: 11)
        let epsilon: Float = 1e-3
        let scale = (0..<features).map { gamma[$0] / (variance[$0] + epsilon).squareRoot() }
        let shift = (0..<features).map { beta[$0] - mean[$0] * scale[$0] }
        let expected = (0..<rows * features).map { x[$0] * scale[$0 % features] + shift[$0 % features] }
        var y = [Float](repeating: 7, count: rows * features)
        var scratch = [Float](repeating: 0, count: 2 * features)
        x.withUnsafeBufferPointer { x in
            mean.withUnsafeBufferPointer { mean in
                variance.withUnsafeBufferPointer { variance in
                    gamma.withUnsafeBufferPointer { gamma in
                        beta.withUnsafeBufferPointer { beta in
                            y.withUnsafeMutableBufferPointer { y in
                                scratch.withUnsafeMutableBufferPointer { s in
                                    BatchNormKernels.inference(x: x.baseAddress!, rows: rows, features: features, epsilon: epsilon, mean: mean.baseAddress!,
                                                               variance: variance.baseAddress!, gamma: gamma.baseAddress!, beta: beta.baseAddress!,
                                                               y: y.baseAddress!, scale: s.baseAddress!, shift: s.baseAddress! + features)
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(Self.same(y, expected), "rows \(rows) features \(features)")
    }

    @Test(arguments: [(1, 1), (3, 7), (4, 8), (5, 9), (32, 50), (2, 57), (3, 64), (2, 65), (4, 31), (3, 16)])
    func scaleAndShiftWithReLUBitForBitAlsoInPlace(shape: (Int, Int)) {
        let (rows, features) = shape
        let x = Self.values(rows * features, seed: 12), scale = Self.values(features, seed: 13)
        // With every shift −0, each x of ±0 gives −0 or +0 before the ReLU (which makes −0 +0).
        for shift in [Self.values(features, seed: 14), [Float](repeating: -0.0, count: features)] {
        for relu in [true, false] {
            let expected = (0..<rows * features).map { i -> Float in
                let v = x[i] * scale[i % features] + shift[i % features]
                return relu ? Self.relu(v) : v
            }
            var y = [Float](repeating: 7, count: rows * features), inPlace = x
            temper_scale_shift_f32(rows, features, x, scale, shift, relu ? 1 : 0, &y)
            inPlace.withUnsafeMutableBufferPointer { buffer in
                temper_scale_shift_f32(rows, features, buffer.baseAddress, scale, shift, relu ? 1 : 0, buffer.baseAddress)
            }
            #expect(Self.same(y, expected), "rows \(rows) features \(features) relu \(relu)")
            #expect(Self.same(inPlace, expected), "in place: rows \(rows) features \(features) relu \(relu)")
        }
        }
    }

    @Test(arguments: [(1, 1), (3, 7), (32, 50), (5, 9), (9, 70), (4, 8), (3, 64), (2, 63), (6, 33), (5, 40), (3, 65)])
    func batchNormSumsAndBackwardOutputBitForBit(shape: (Int, Int)) {
        let (rows, features) = shape
        let x = Self.values(rows * features, seed: 15), dy = Self.values(rows * features, seed: 16), center = Self.values(features, seed: 17)
        let k1 = Self.values(features, seed: 18), k2 = Self.values(features, seed: 19), k0 = Self.values(features, seed: 20)
        var sums = [Float](repeating: 0, count: features), squares = sums, expectedSums = sums, expectedSquares = sums
        var sumD = sums, sumDX = sums, expectedD = sums, expectedDX = sums
        for r in 0..<rows {
            for j in 0..<features {
                let v = x[r * features + j], g = dy[r * features + j], d = v - center[j]
                expectedSums[j] = expectedSums[j] + v
                expectedSquares[j] = expectedSquares[j] + d * d
                expectedD[j] = expectedD[j] + g
                expectedDX[j] = expectedDX[j] + g * d
            }
        }
        let expectedOutput = (0..<rows * features).map { i in k1[i % features] * dy[i] + k2[i % features] * x[i] + k0[i % features] }
        // The input's ReLU mask as the relu gradient computes it: a product with 1 or 0 (NaN·0 is NaN, −v·0 is −0).
        let expectedMasked = (0..<rows * features).map { i in expectedOutput[i] * (x[i] > 0 ? 1 : 0) }
        var output = [Float](repeating: 7, count: rows * features), masked = output
        temper_column_sums_f32(rows, features, x, nil, &sums)
        temper_column_sums_f32(rows, features, x, center, &squares)
        temper_bn_gradient_sums_f32(rows, features, dy, x, center, &sumD, &sumDX)
        temper_bn_gradient_output_f32(rows, features, dy, x, k1, k2, k0, 0, &output)
        temper_bn_gradient_output_f32(rows, features, dy, x, k1, k2, k0, 1, &masked)
        #expect(Self.same(sums, expectedSums) && Self.same(squares, expectedSquares), "rows \(rows) features \(features)")
        #expect(Self.same(sumD, expectedD) && Self.same(sumDX, expectedDX), "rows \(rows) features \(features)")
        #expect(Self.same(output, expectedOutput), "rows \(rows) features \(features)")
        #expect(Self.same(masked, expectedMasked), "input mask: rows \(rows) features \(features)")
        #expect(masked.contains { $0.bitPattern == (-0.0 as Float).bitPattern } || rows * features < 9, "the values exercise −0 from the mask")
    }

    /// The small products' loop (`Gemm.small` for Float, through `temper_small_gemm_f32`): every
    /// output `start + Σₚ (alpha·A(i, p))·B(p, j)` with `p` in order, `start` 0, C or C·beta (for one
    /// column, `(alpha·B(p, 0))·A(i, p)`, as the matrix-vector loop scales the vector); for
    /// stored or transposed A, B transposed only when k is 1, and the matrix-vector product with a
    /// transposed A; widths around the 8-column blocks and past 64 (more than one group).
    @Test(arguments: [(1, 1, 1), (32, 50, 1), (2, 50, 32), (50, 1, 32), (3, 8, 5), (4, 9, 2), (2, 64, 3), (3, 65, 4), (2, 130, 17), (5, 7, 3), (4, 130, 1), (3, 72, 1), (2, 64, 1)])
    func smallProductsAreTheAxpyFormulaBitForBit(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = Self.values(m * k, seed: 21), b = Self.values(k * n, seed: 22), start = Self.values(m * n, seed: 23)
        for transposeA in [false, true] {
            for transposeB in k == 1 ? [false, true] : [false] where !(n == 1 && !transposeA) {
                for (alpha, beta) in [(Float(1), Float(0)), (-0.01, 0.9), (0.5, 1), (1, -0.0)] {
                    var expected = start
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum: Float = beta == 0 ? 0 : beta == 1 ? start[i * n + j] : start[i * n + j] * beta
                            for p in 0..<k {
                                let aValue = transposeA ? a[p * m + i] : a[i * k + p]
                                let bValue = transposeB ? b[j * k + p] : b[p * n + j]
                                // The matrix-vector product scales the vector: (alpha·b[p])·A(i, p).
                                sum = n == 1 ? sum + (alpha * bValue) * aValue : sum + (alpha * aValue) * bValue
                            }
                            expected[i * n + j] = sum
                        }
                    }
                    var c = start
                    a.withUnsafeBufferPointer { a in
                        b.withUnsafeBufferPointer { b in
                            c.withUnsafeMutableBufferPointer { c in
                                Gemm.small(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                                           a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!, beta: beta)
                            }
                        }
                    }
                    #expect(Self.same(c, expected), "m \(m) n \(n) k \(k) Aᵀ \(transposeA) Bᵀ \(transposeB) alpha \(alpha) beta \(beta)")
                }
            }
        }
    }

    /// Batch norm's per-feature factors (forward scale and shift, backward k₁, k₂, k₀ and dγ), with
    /// and without γ and β, over widths around the 8-feature blocks.
    @Test(arguments: [1, 7, 8, 9, 50, 64, 70])
    func batchNormFactorsAreTheScalarFormulasBitForBit(features: Int) {
        let rows = 32, epsilon: Float = 1e-3
        let mean = Self.values(features, seed: 31), gamma = Self.values(features, seed: 32), beta = Self.values(features, seed: 33)
        let variance = Self.values(features, seed: 34).map { Swift.abs($0) }   // NaN stays NaN
        let dbeta = Self.values(features, seed: 35), sums = Self.values(features, seed: 36)
        for (withGamma, withBeta) in [(true, true), (false, false), (true, false)] {
            var expectedScale = [Float](), expectedShift = [Float]()
            var expectedK1 = [Float](), expectedK2 = [Float](), expectedK0 = [Float](), expectedDGamma = [Float]()
            for j in 0..<features {
                let root = (variance[j] + epsilon).squareRoot(), g: Float = withGamma ? gamma[j] : 1
                let scale = g / root
                expectedScale.append(scale)
                expectedShift.append((withBeta ? beta[j] : 0) - mean[j] * scale)
                let reciprocal = 1 / root, dg = sums[j] * reciprocal
                let a = g * reciprocal * (1 / Float(rows))
                expectedDGamma.append(dg)
                expectedK1.append(a * Float(rows))
                expectedK2.append(-a * reciprocal * dg)
                expectedK0.append(-a * dbeta[j] - (-a * reciprocal * dg) * mean[j])
            }
            var scale = [Float](repeating: 7, count: features), shift = scale, k1 = scale, k2 = scale, k0 = scale, dgamma = sums
            temper_bn_fold_scale_shift_f32(features, epsilon, mean, variance, withGamma ? gamma : nil, withBeta ? beta : nil, &scale, &shift)
            temper_bn_gradient_factors_f32(rows, features, epsilon, mean, variance, withGamma ? gamma : nil, dbeta, &dgamma, &k1, &k2, &k0)
            let label = "features \(features) γ \(withGamma) β \(withBeta)"
            #expect(Self.same(scale, expectedScale) && Self.same(shift, expectedShift), "\(label)")
            #expect(Self.same(dgamma, expectedDGamma) && Self.same(k1, expectedK1), "\(label)")
            #expect(Self.same(k2, expectedK2) && Self.same(k0, expectedK0), "\(label)")
        }
    }

    /// Binary cross-entropy on logits and its gradient in C against the Swift formula with
    /// `FloatMath.exp` and `FloatMath.log1p` (which the Float path used before): bit for bit over
    /// ordinary, huge, tiny, ±0, ±∞ and NaN logits, at row counts around the 8-row blocks.
    @Test(arguments: [1, 7, 8, 9, 32, 500])
    func binaryCrossEntropyOnLogitsIsFloatMathsFormulaBitForBit(rows: Int) {
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 88.7, -88.7, 104, -104, 1e-30, -1e-30, 20, -20, 1, -1]
        let z = (Self.values(rows, seed: 41).enumerated().map { i, v in i % 3 == 0 ? specials[(i / 3) % specials.count] : v * 8 })
        let y = (0..<rows).map { Float($0 % 2) }, cotangent = Self.values(rows, seed: 42)
        let expectedLoss = (0..<rows).map { r in Swift.max(z[r], 0) - z[r] * y[r] + FloatMath.log1p(FloatMath.exp(-Swift.abs(z[r]))) }
        let expectedGradient = (0..<rows).map { r in cotangent[r] * (1 / (1 + FloatMath.exp(-z[r])) - y[r]) }
        var loss = [Float](repeating: 7, count: rows), gradient = loss
        temper_bce_logits_f32(rows, z, y, &loss)
        temper_bce_logits_gradient_f32(rows, cotangent, z, y, &gradient)
        #expect(Self.same(loss, expectedLoss), "rows \(rows)")
        #expect(Self.same(gradient, expectedGradient), "rows \(rows)")
    }

    /// `FloatMath.exp` and `log1p` alone, through the loss on chosen logits: `log1p(exp(−|z|))` is
    /// `loss − max(z, 0)` for y = 0, so every lane's exp and log1p show in the loss.
    @Test func expAndLog1pOfTheLossMatchOverManyBitPatterns() {
        var z = [Float](), state: UInt32 = 12345
        for _ in 0..<20_000 {
            state = state &* 1_664_525 &+ 1_013_904_223
            z.append(Float(bitPattern: state))
        }
        let y = [Float](repeating: 0, count: z.count)
        let expected = z.map { Swift.max($0, 0) - $0 * 0 + FloatMath.log1p(FloatMath.exp(-Swift.abs($0))) }
        var loss = [Float](repeating: 0, count: z.count)
        temper_bce_logits_f32(z.count, z, y, &loss)
        #expect(Self.same(loss, expected))
    }

    /// The ReLU's backward kernel against the product the fused program computes, also in place.
    @Test(arguments: [1, 7, 8, 9, 16384, 1001])
    func reluBackwardIsTheProductWithTheMaskBitForBit(count: Int) {
        let g = Self.values(count, seed: 51), y = Self.values(count, seed: 52)
        let expected = (0..<count).map { g[$0] * (y[$0] > 0 ? 1 : 0) }
        var out = [Float](repeating: 7, count: count), inPlace = g
        temper_relu_backward_f32(count, g, y, &out)
        inPlace.withUnsafeMutableBufferPointer { temper_relu_backward_f32(count, $0.baseAddress, y, $0.baseAddress) }
        #expect(Self.same(out, expected) && Self.same(inPlace, expected), "count \(count)")
    }
}
