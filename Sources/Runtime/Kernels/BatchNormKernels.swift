/// Batch-normalization kernels on an input viewed as `rows × features` (every axis but the last
/// folded into rows). Statistics are per feature; the variance is the biased batch variance,
/// computed in a second pass around the mean for accuracy. Rows are walked in memory order with
/// explicit 8-lane vectors across features (a scalar tail handles the rest).
enum BatchNormKernels {
    /// Column means and biased variances of `x` (`rows × features`): two reduction passes.
    @inline(__always)
    static func statistics<T: TensorScalar>(x: UnsafePointer<T>, rows: Int, features: Int,
                                            mean: UnsafeMutablePointer<T>, variance: UnsafeMutablePointer<T>) {
        mean.update(repeating: 0, count: features)
        variance.update(repeating: 0, count: features)
        let body = features - features % vectorWidth
        for r in 0..<rows {
            let row = x + r * features
            for j in stride(from: 0, to: body, by: vectorWidth) { mean.store(mean.vector(at: j) + row.vector(at: j), at: j) }
            for j in body..<features { mean[j] += row[j] }
        }
        let inverseRows = 1 / T(rows)
        for j in 0..<features { mean[j] *= inverseRows }
        for r in 0..<rows {
            let row = x + r * features
            for j in stride(from: 0, to: body, by: vectorWidth) {
                let d = row.vector(at: j) - mean.vector(at: j)
                variance.store(variance.vector(at: j) + d * d, at: j)
            }
            for j in body..<features {
                let d = row[j] - mean[j]
                variance[j] += d * d
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
        for j in 0..<features {
            let s = (gamma?[j] ?? 1) / (variance[j] + epsilon).squareRoot()
            scale[j] = s
            shift[j] = (beta?[j] ?? 0) - mean[j] * s
        }
    }

    @inline(__always)
    private static func applyScaleShift<T: TensorScalar>(x: UnsafePointer<T>, rows: Int, features: Int,
                                                         scale: UnsafeMutablePointer<T>, shift: UnsafeMutablePointer<T>, relu: Bool,
                                                         y: UnsafeMutablePointer<T>) {
        for r in 0..<rows {
            let input = x + r * features, output = y + r * features
            if relu {
                for j in 0..<features {
                    let v = input[j] * scale[j] + shift[j]
                    output[j] = v < 0 ? 0 : v
                }
            } else {
                for j in 0..<features { output[j] = input[j] * scale[j] + shift[j] }
            }
        }
    }

    /// Closed-form backward: `dβ = Σ dy`, `dγ = Σ dy·x̂`, `dx = γ·r/m·(m·dy − dβ − x̂·dγ)` with
    /// `x̂ = (x − μ)·r`. With `reluOutput`, `dy` is first masked by `reluOutput > 0`. One reduction
    /// pass, then one elementwise pass `dx = k₁·dy + k₂·x + k₀` with the per-feature factors
    /// folded. `scratch` holds `5 × features` values.
    static func trainingBackward<T: TensorScalar>(dy: UnsafePointer<T>, x: UnsafePointer<T>, rows: Int, features: Int, epsilon: T,
                                                  mean: UnsafePointer<T>, variance: UnsafePointer<T>, gamma: UnsafePointer<T>?,
                                                  reluOutput: UnsafePointer<T>?,
                                                  dx: UnsafeMutablePointer<T>, dgamma: UnsafeMutablePointer<T>, dbeta: UnsafeMutablePointer<T>,
                                                  scratch: UnsafeMutablePointer<T>) {
        let reciprocal = scratch, k1 = scratch + features, k2 = scratch + 2 * features, k0 = scratch + 3 * features
        let masked = scratch + 4 * features
        for j in 0..<features { reciprocal[j] = 1 / (variance[j] + epsilon).squareRoot() }
        dgamma.update(repeating: 0, count: features)
        dbeta.update(repeating: 0, count: features)
        /// The row of cotangents, masked by the ReLU output when there is one.
        @inline(__always) func cotangentRow(_ r: Int) -> UnsafePointer<T> {
            let g = dy + r * features
            guard let reluOutput else { return g }
            let mask = reluOutput + r * features
            for j in 0..<features {
                let value = g[j], keep = mask[j] > 0
                masked[j] = keep ? value : 0
            }
            return UnsafePointer(masked)
        }
        // Σ dy and Σ dy·(x − μ); dγ is scaled by r afterwards.
        for r in 0..<rows {
            let d = cotangentRow(r), input = x + r * features
            for j in 0..<features { dbeta[j] += d[j] }
            for j in 0..<features { dgamma[j] += d[j] * (input[j] - mean[j]) }
        }
        let m = T(rows), inverseRows = 1 / T(rows)
        for j in 0..<features {
            dgamma[j] *= reciprocal[j]
            // dx = a·(m·d − dβ − (x − μ)·r·dγ) with a = γ·r/m
            let a = (gamma?[j] ?? 1) * reciprocal[j] * inverseRows
            k1[j] = a * m
            k2[j] = -a * reciprocal[j] * dgamma[j]
            k0[j] = -a * dbeta[j] - k2[j] * mean[j]
        }
        for r in 0..<rows {
            let d = cotangentRow(r), input = x + r * features, output = dx + r * features
            for j in 0..<features { output[j] = k1[j] * d[j] + k2[j] * input[j] + k0[j] }
        }
    }
}
