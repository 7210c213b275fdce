/// Batch-normalization kernels on an input viewed as `rows × features` (every axis but the last
/// folded into rows). Statistics are per feature; the variance is the biased batch variance,
/// computed in a second pass around the mean for accuracy.
enum BatchNormKernels {
    /// Column means and biased variances of `x` (`rows × features`): two reduction passes.
    @inline(__always)
    static func statistics<T: TensorScalar>(x: UnsafePointer<T>, rows: Int, features: Int,
                                            mean: UnsafeMutablePointer<T>, variance: UnsafeMutablePointer<T>) {
        mean.update(repeating: 0, count: features)
        variance.update(repeating: 0, count: features)
        for r in 0..<rows {
            let row = x + r * features
            for j in 0..<features { mean[j] += row[j] }
        }
        let inverseRows = 1 / T(rows)
        for j in 0..<features { mean[j] *= inverseRows }
        for r in 0..<rows {
            let row = x + r * features
            for j in 0..<features {
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
                                                         scale: UnsafePointer<T>, shift: UnsafePointer<T>, relu: Bool,
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
    /// pass and one elementwise pass; `reciprocal` is scratch.
    static func trainingBackward<T: TensorScalar>(dy: UnsafePointer<T>, x: UnsafePointer<T>, rows: Int, features: Int, epsilon: T,
                                                  mean: UnsafePointer<T>, variance: UnsafePointer<T>, gamma: UnsafePointer<T>?,
                                                  reluOutput: UnsafePointer<T>?,
                                                  dx: UnsafeMutablePointer<T>, dgamma: UnsafeMutablePointer<T>, dbeta: UnsafeMutablePointer<T>,
                                                  reciprocal: UnsafeMutablePointer<T>) {
        for j in 0..<features { reciprocal[j] = 1 / (variance[j] + epsilon).squareRoot() }
        dgamma.update(repeating: 0, count: features)
        dbeta.update(repeating: 0, count: features)
        for r in 0..<rows {
            let g = dy + r * features, input = x + r * features
            if let reluOutput {
                let mask = reluOutput + r * features
                for j in 0..<features {
                    let d = mask[j] > 0 ? g[j] : 0
                    dbeta[j] += d
                    dgamma[j] += d * (input[j] - mean[j]) * reciprocal[j]
                }
            } else {
                for j in 0..<features {
                    dbeta[j] += g[j]
                    dgamma[j] += g[j] * (input[j] - mean[j]) * reciprocal[j]
                }
            }
        }
        let m = T(rows), inverseRows = 1 / T(rows)
        for r in 0..<rows {
            let g = dy + r * features, input = x + r * features, output = dx + r * features
            for j in 0..<features {
                var d = g[j]
                if let reluOutput, !(reluOutput[r * features + j] > 0) { d = 0 }
                let xHat = (input[j] - mean[j]) * reciprocal[j]
                let factor = (gamma?[j] ?? 1) * reciprocal[j] * inverseRows
                output[j] = factor * (m * d - dbeta[j] - xHat * dgamma[j])
            }
        }
    }
}
