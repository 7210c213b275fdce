import CKernels
/// Batch-normalization kernels on an input viewed as `rows × features` (every axis but the last
/// folded into rows). Statistics are per feature; the variance is the biased batch variance,
/// computed in a second pass around the mean for accuracy. Columns are walked in blocks of 32, 8
/// and 1 features (`Lanes`), each block down the rows with its sums in registers (down chunks of
/// rows for wide inputs: `forEachRowChunk`).
enum BatchNormKernels {
    /// Column means and biased variances of `x` (`rows × features`): two reduction passes, each
    /// summing a feature's rows in order, with the sums of a block of columns kept in registers.
    @inline(__always)
    static func statistics<T: TensorScalar>(x: UnsafePointer<T>, rows: Int, features: Int,
                                            mean: UnsafeMutablePointer<T>, variance: UnsafeMutablePointer<T>) {
        let inverseRows = 1 / T(rows)
        if T.self == Float.self {
            // The same arithmetic, in C built for AVX2 too (CKernels).
            temper_column_sums_f32(rows, features, x.float, nil, mean.float)
        } else {
            forEachRowChunk(rows: rows, columns: features) { chunk, continuing in
                SumBlock(x: x, rows: chunk, features: features, center: nil, sums: mean, continuing: continuing).forEachBlock(of: features)
            }
        }
        for j in 0..<features { mean[j] *= inverseRows }
        if T.self == Float.self {
            temper_column_sums_f32(rows, features, x.float, UnsafePointer(mean).float, variance.float)
        } else {
            forEachRowChunk(rows: rows, columns: features) { chunk, continuing in
                SumBlock(x: x, rows: chunk, features: features, center: UnsafePointer(mean), sums: variance, continuing: continuing).forEachBlock(of: features)
            }
        }
        for j in 0..<features { variance[j] *= inverseRows }
    }

    /// Reference training forward (the unfused kernel): statistics, then `y = (x − μ)·r·γ + β`
    /// element by element, with `r = 1/√(σ² + ε)` per feature in `reciprocal` (scratch).
    static func trainingForward<T: TensorScalar>(x: UnsafePointer<T>, rows: Int, features: Int, epsilon: T,
                                                 gamma: UnsafePointer<T>?, beta: UnsafePointer<T>?,
                                                 y: UnsafeMutablePointer<T>, mean: UnsafeMutablePointer<T>, variance: UnsafeMutablePointer<T>,
                                                 reciprocal: UnsafeMutablePointer<T>) {
        statistics(x: x, rows: rows, features: features, mean: mean, variance: variance)
        for j in 0..<features { reciprocal[j] = 1 / (variance[j] + epsilon).squareRoot() }
        for r in 0..<rows {
            let input = x + r * features, output = y + r * features
            for j in 0..<features { output[j] = (input[j] - mean[j]) * reciprocal[j] }
            if let gamma { for j in 0..<features { output[j] *= gamma[j] } }
            if let beta { for j in 0..<features { output[j] += beta[j] } }
        }
    }

    /// Fused training forward: two reductions, then one pass `y = x·scale + shift` (optionally
    /// `max(·, 0)`) with `scale = γ·r` and `shift = β − μ·scale` folded per feature.
    static func trainingForwardFused<T: TensorScalar>(x: UnsafePointer<T>, rows: Int, features: Int, epsilon: T,
                                                      gamma: UnsafePointer<T>?, beta: UnsafePointer<T>?, relu: Bool,
                                                      y: UnsafeMutablePointer<T>, mean: UnsafeMutablePointer<T>, variance: UnsafeMutablePointer<T>,
                                                      scale: UnsafeMutablePointer<T>, shift: UnsafeMutablePointer<T>) {
        statistics(x: x, rows: rows, features: features, mean: mean, variance: variance)
        foldScaleShift(mean: mean, variance: variance, features: features, epsilon: epsilon, gamma: gamma, beta: beta, scale: scale, shift: shift)
        applyScaleShift(x: x, rows: rows, features: features, scale: scale, shift: shift, relu: relu, y: y)
    }

    /// Inference: `y = γ·(x − mean)/√(variance + ε) + β` as one pass with folded scale and shift.
    static func inference<T: TensorScalar>(x: UnsafePointer<T>, rows: Int, features: Int, epsilon: T,
                                           mean: UnsafePointer<T>, variance: UnsafePointer<T>,
                                           gamma: UnsafePointer<T>?, beta: UnsafePointer<T>?, y: UnsafeMutablePointer<T>,
                                           scale: UnsafeMutablePointer<T>, shift: UnsafeMutablePointer<T>) {
        foldScaleShift(mean: mean, variance: variance, features: features, epsilon: epsilon, gamma: gamma, beta: beta, scale: scale, shift: shift)
        applyScaleShift(x: x, rows: rows, features: features, scale: scale, shift: shift, relu: false, y: y)
    }

    @inline(__always)
    private static func foldScaleShift<T: TensorScalar>(mean: UnsafePointer<T>, variance: UnsafePointer<T>, features: Int, epsilon: T,
                                                        gamma: UnsafePointer<T>?, beta: UnsafePointer<T>?,
                                                        scale: UnsafeMutablePointer<T>, shift: UnsafeMutablePointer<T>) {
        if T.self == Float.self {
            // The same arithmetic, in C built for AVX2 too (CKernels).
            temper_bn_fold_scale_shift_f32(features, Float(epsilon), mean.float, variance.float, gamma?.float, beta?.float, scale.float, shift.float)
            return
        }
        // Loops without optionals inside, so the compiler vectorizes them (sqrtps, divps).
        if let gamma {
            for j in 0..<features { scale[j] = gamma[j] / (variance[j] + epsilon).squareRoot() }
        } else {
            for j in 0..<features { scale[j] = 1 / (variance[j] + epsilon).squareRoot() }
        }
        if let beta {
            for j in 0..<features { shift[j] = beta[j] - mean[j] * scale[j] }
        } else {
            for j in 0..<features { shift[j] = 0 - mean[j] * scale[j] }
        }
    }

    @inline(__always)
    private static func applyScaleShift<T: TensorScalar>(x: UnsafePointer<T>, rows: Int, features: Int,
                                                         scale: UnsafeMutablePointer<T>, shift: UnsafeMutablePointer<T>, relu: Bool,
                                                         y: UnsafeMutablePointer<T>) {
        if T.self == Float.self {
            // The same arithmetic, in C built for AVX2 too (CKernels).
            temper_scale_shift_f32(rows, features, x.float,
                                   scale.float, shift.float,
                                   relu ? 1 : 0, y.float)
            return
        }
        forEachRowChunk(rows: rows, columns: features) { chunk, _ in
            ScaleShiftBlock(x: x, rows: chunk, features: features, scale: scale, shift: shift, y: y).forEachBlock(of: features)
        }
        // A plain loop (vectorized by the compiler): SIMD comparisons in Swift go lane by lane.
        if relu {
            for i in 0..<rows * features { y[i] = Swift.max(y[i], 0) }   // as the relu op (NaN kept, −0 → 0)
        }
    }

    /// Closed-form backward: `dβ = Σ dy`, `dγ = Σ dy·x̂`, `dx = γ·r/m·(m·dy − dβ − x̂·dγ)` with
    /// `x̂ = (x − μ)·r`. With `reluOutput`, `dy` is first masked by `reluOutput > 0` (into `masked`,
    /// `rows × features`). One reduction pass down each block of columns (sums in registers, rows
    /// in order), the per-feature factors folded (into `factors`, `3 × features`), then one pass
    /// `dx = k₁·dy + k₂·x + k₀`, times `(x > 0 ? 1 : 0)` with `inputMask` (a ReLU's backward
    /// before the batch norm, as the ReLU computes it: NaN and −0 as unfused).
    static func trainingBackward<T: TensorScalar>(dy: UnsafePointer<T>, x: UnsafePointer<T>, rows: Int, features: Int, epsilon: T,
                                                  mean: UnsafePointer<T>, variance: UnsafePointer<T>, gamma: UnsafePointer<T>?,
                                                  reluOutput: UnsafePointer<T>?, inputMask: Bool,
                                                  dx: UnsafeMutablePointer<T>, dgamma: UnsafeMutablePointer<T>, dbeta: UnsafeMutablePointer<T>,
                                                  masked: UnsafeMutablePointer<T>, factors: UnsafeMutablePointer<T>) {
        let m = T(rows), inverseRows = 1 / T(rows)
        var dy = dy
        if let reluOutput {
            // A plain loop (vectorized by the compiler): SIMD comparisons in Swift go lane by lane.
            for i in 0..<rows * features {
                let keep = reluOutput[i] > 0, value = dy[i]   // both loaded: a select, no branch
                masked[i] = keep ? value : 0
            }
            dy = UnsafePointer(masked)
        }
        // Σ dy into dβ and Σ dy·(x − μ) into dγ.
        if T.self == Float.self {
            // The same arithmetic, in C built for AVX2 too (CKernels).
            temper_bn_gradient_sums_f32(rows, features, dy.float, x.float, mean.float, dbeta.float, dgamma.float)
        } else {
            forEachRowChunk(rows: rows, columns: features) { chunk, continuing in
                GradientSumsBlock(dy: dy, x: x, rows: chunk, features: features, mean: mean, sumD: dbeta, sumDX: dgamma, continuing: continuing)
                    .forEachBlock(of: features)
            }
        }
        let k1 = factors, k2 = factors + features, k0 = factors + 2 * features
        if T.self == Float.self {
            // The fold and the output pass, the same arithmetic in C built for AVX2 too (CKernels).
            temper_bn_gradient_factors_f32(rows, features, Float(epsilon), mean.float, variance.float, gamma?.float, UnsafePointer(dbeta).float,
                                           dgamma.float, k1.float, k2.float, k0.float)
            temper_bn_gradient_output_f32(rows, features, dy.float, x.float, UnsafePointer(k1).float, UnsafePointer(k2).float, UnsafePointer(k0).float,
                                          inputMask ? 1 : 0, dx.float)
            return
        }
        @inline(__always) func fold(_ gammaAt: (Int) -> T) {
            for j in 0..<features {
                let reciprocal = 1 / (variance[j] + epsilon).squareRoot()
                dgamma[j] *= reciprocal
                // dx = a·(m·d − dβ − (x − μ)·r·dγ) with a = γ·r/m
                let a = gammaAt(j) * reciprocal * inverseRows
                k1[j] = a * m
                k2[j] = -a * reciprocal * dgamma[j]
                k0[j] = -a * dbeta[j] - k2[j] * mean[j]
            }
        }
        // Without optionals inside the loop, so the compiler vectorizes it.
        if let gamma { fold { gamma[$0] } } else { fold { _ in 1 } }
        forEachRowChunk(rows: rows, columns: features) { chunk, _ in
            GradientOutputBlock(dy: dy, x: x, rows: chunk, features: features, k1: k1, k2: k2, k0: k0, dx: dx).forEachBlock(of: features)
        }
        if inputMask {
            // A plain loop (vectorized by the compiler), as the relu gradient `dx · (x > 0)`.
            for i in 0..<rows * features { dx[i] = dx[i] * (x[i] > 0 ? 1 : 0) }
        }
    }
}

/// `Σ x` (or, with `center`, `Σ (x − center)²`) over a chunk of rows of a block of columns, added
/// to the sums so far when `continuing` (rows in order, as one pass down all rows).
private struct SumBlock<Scalar: TensorScalar>: ColumnBlock {
    let x: UnsafePointer<Scalar>, rows: Range<Int>, features: Int, center: UnsafePointer<Scalar>?
    let sums: UnsafeMutablePointer<Scalar>, continuing: Bool
    var readsItsOutput: Bool { continuing }

    @inline(__always) func callAsFunction<L: Lanes>(_ lanes: L.Type, at j: Int) where L.Scalar == Scalar {
        var sum = continuing ? L.load(sums + j) : L(repeating: 0)
        if let center {
            let mu = L.load(center + j)
            for r in rows {
                let d = L.load(x + r * features + j) - mu
                sum = sum + d * d
            }
        } else {
            for r in rows { sum = sum + L.load(x + r * features + j) }
        }
        sum.store(to: sums + j)
    }
}

/// `y = x·scale + shift` down a block of columns.
private struct ScaleShiftBlock<Scalar: TensorScalar>: ColumnBlock {
    let x: UnsafePointer<Scalar>, rows: Range<Int>, features: Int
    let scale: UnsafeMutablePointer<Scalar>, shift: UnsafeMutablePointer<Scalar>, y: UnsafeMutablePointer<Scalar>

    @inline(__always) func callAsFunction<L: Lanes>(_ lanes: L.Type, at j: Int) where L.Scalar == Scalar {
        let s = L.load(scale + j), t = L.load(shift + j)
        for r in rows { (L.load(x + r * features + j) * s + t).store(to: y + r * features + j) }
    }
}

/// `Σ dy` and `Σ dy·(x − μ)` down a block of columns.
private struct GradientSumsBlock<Scalar: TensorScalar>: ColumnBlock {
    let dy: UnsafePointer<Scalar>, x: UnsafePointer<Scalar>, rows: Range<Int>, features: Int, mean: UnsafePointer<Scalar>
    let sumD: UnsafeMutablePointer<Scalar>, sumDX: UnsafeMutablePointer<Scalar>, continuing: Bool
    var readsItsOutput: Bool { continuing }

    @inline(__always) func callAsFunction<L: Lanes>(_ lanes: L.Type, at j: Int) where L.Scalar == Scalar {
        let mu = L.load(mean + j)
        var d = continuing ? L.load(sumD + j) : L(repeating: 0), dx = continuing ? L.load(sumDX + j) : L(repeating: 0)
        for r in rows {
            let g = L.load(dy + r * features + j)
            d = d + g
            dx = dx + g * (L.load(x + r * features + j) - mu)
        }
        d.store(to: sumD + j)
        dx.store(to: sumDX + j)
    }
}

/// `dx = k₁·dy + k₂·x + k₀` down a block of columns.
private struct GradientOutputBlock<Scalar: TensorScalar>: ColumnBlock {
    let dy: UnsafePointer<Scalar>, x: UnsafePointer<Scalar>, rows: Range<Int>, features: Int
    let k1: UnsafeMutablePointer<Scalar>, k2: UnsafeMutablePointer<Scalar>, k0: UnsafeMutablePointer<Scalar>
    let dx: UnsafeMutablePointer<Scalar>

    @inline(__always) func callAsFunction<L: Lanes>(_ lanes: L.Type, at j: Int) where L.Scalar == Scalar {
        let f1 = L.load(k1 + j), f2 = L.load(k2 + j), f0 = L.load(k0 + j)
        for r in rows {
            (f1 * L.load(dy + r * features + j) + f2 * L.load(x + r * features + j) + f0).store(to: dx + r * features + j)
        }
    }
}
