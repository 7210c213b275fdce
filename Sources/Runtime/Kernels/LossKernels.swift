import CKernels
import Graph

/// Per-sample losses over `rows × k` predictions and their gradients with respect to the
/// predictions, with the Keras formulas documented on `LossKind`.
enum LossKernels {
    /// A label that is not a valid class index (sparse losses).
    struct InvalidLabel: Error {
        let row: Int
        let value: Double
        let classes: Int
    }

    /// Keras maps hinge labels in {0, 1} to {−1, 1} when every label is 0 or 1.
    @inline(__always)
    static func hingeLabelsAreBinary<T: TensorScalar>(_ labels: UnsafePointer<T>, count: Int) -> Bool {
        for i in 0..<count where labels[i] != 0 && labels[i] != 1 { return false }
        return true
    }

    @inline(__always)
    static func classIndex<T: TensorScalar>(_ label: T, row: Int, classes: Int) throws -> Int {
        let value = Double(label)
        guard value >= 0, value < Double(classes), value == value.rounded() else {
            throw InvalidLabel(row: row, value: value, classes: classes)
        }
        return Int(value)
    }

    /// `loss[r]` for every row `r`.
    static func forward<T: TensorScalar>(_ kind: LossKind, labels: UnsafePointer<T>, predictions: UnsafePointer<T>,
                                         rows: Int, k: Int, loss: UnsafeMutablePointer<T>) throws {
        if kind == .binaryCrossEntropyWithLogits && k == 1 {
            if T.self == Float.self {
                // The same arithmetic, in C built for AVX2 too (CKernels), eight rows at a time.
                temper_bce_logits_f32(rows, predictions.float, labels.float, loss.float)
                return
            }
            // One logit per row: the same arithmetic as below, as one loop the compiler vectorizes.
            for r in 0..<rows { loss[r] = binaryCrossEntropyWithLogits(predictions[r], label: labels[r]) }
            return
        }
        let eps = T(LossKind.epsilon)
        let inverseK = 1 / T(k)
        let binaryHinge = (kind == .hinge || kind == .squaredHinge) && hingeLabelsAreBinary(labels, count: rows * k)
        for r in 0..<rows {
            let p = predictions + r * k
            let y = labels + r * (kind.hasSparseLabels ? 1 : k)
            var total: T = 0
            switch kind {
            case .binaryCrossEntropy:
                for j in 0..<k {
                    let pc = Swift.min(Swift.max(p[j], eps), 1 - eps)
                    total -= y[j] * T.log(pc) + (1 - y[j]) * T.log(1 - pc)
                }
                total *= inverseK
            case .binaryCrossEntropyWithLogits:
                for j in 0..<k { total += binaryCrossEntropyWithLogits(p[j], label: y[j]) }
                total *= inverseK
            case .softmaxCrossEntropy:
                let lse = logSumExp(p, k)
                for j in 0..<k { total -= y[j] * (p[j] - lse) }
            case .sparseSoftmaxCrossEntropy:
                let c = try classIndex(y[0], row: r, classes: k)
                total = logSumExp(p, k) - p[c]
            case .categoricalCrossEntropy:
                var sum: T = 0
                for j in 0..<k { sum += p[j] }
                for j in 0..<k {
                    let q = Swift.min(Swift.max(p[j] / sum, eps), 1 - eps)
                    total -= y[j] * T.log(q)
                }
            case .sparseCategoricalCrossEntropy:
                let c = try classIndex(y[0], row: r, classes: k)
                var sum: T = 0
                for j in 0..<k { sum += p[j] }
                total = -T.log(Swift.min(Swift.max(p[c] / sum, eps), 1 - eps))
            case .meanSquaredError:
                for j in 0..<k { total += (y[j] - p[j]) * (y[j] - p[j]) }
                total *= inverseK
            case .meanAbsoluteError:
                for j in 0..<k { total += Swift.abs(y[j] - p[j]) }
                total *= inverseK
            case .meanSquaredLogarithmicError:
                for j in 0..<k {
                    let d = T.log1p(Swift.max(p[j], eps)) - T.log1p(Swift.max(y[j], eps))
                    total += d * d
                }
                total *= inverseK
            case .hinge, .squaredHinge:
                for j in 0..<k {
                    let label = binaryHinge ? 2 * y[j] - 1 : y[j]
                    let margin = Swift.max(1 - label * p[j], 0)
                    total += kind == .hinge ? margin : margin * margin
                }
                total *= inverseK
            case .kullbackLeiblerDivergence:
                for j in 0..<k {
                    let yc = Swift.min(Swift.max(y[j], eps), 1), pc = Swift.min(Swift.max(p[j], eps), 1)
                    total += yc * T.log(yc / pc)
                }
            }
            loss[r] = total
        }
    }

    /// `gradient[r, j] = cotangent[r] · ∂loss[r]/∂predictions[r, j]`. Where a clip is active the
    /// derivative of the clipped quantity is 0 (as TensorFlow's `clip_by_value`).
    static func backward<T: TensorScalar>(_ kind: LossKind, cotangent: UnsafePointer<T>, labels: UnsafePointer<T>,
                                          predictions: UnsafePointer<T>, rows: Int, k: Int,
                                          gradient: UnsafeMutablePointer<T>) throws {
        if kind == .binaryCrossEntropyWithLogits && k == 1 {
            if T.self == Float.self {
                // The same arithmetic, in C built for AVX2 too (CKernels), eight rows at a time.
                temper_bce_logits_gradient_f32(rows, cotangent.float, predictions.float, labels.float, gradient.float)
                return
            }
            // One logit per row: the same arithmetic as below (1/k = 1), as one vectorized loop.
            for r in 0..<rows { gradient[r] = cotangent[r] * (sigmoid(predictions[r]) - labels[r]) }
            return
        }
        let eps = T(LossKind.epsilon)
        let inverseK = 1 / T(k)
        let binaryHinge = (kind == .hinge || kind == .squaredHinge) && hingeLabelsAreBinary(labels, count: rows * k)
        for r in 0..<rows {
            let p = predictions + r * k
            let y = labels + r * (kind.hasSparseLabels ? 1 : k)
            let g = gradient + r * k
            let c = cotangent[r]
            switch kind {
            case .binaryCrossEntropy:
                for j in 0..<k {
                    let inside = p[j] >= eps && p[j] <= 1 - eps
                    let pc = Swift.min(Swift.max(p[j], eps), 1 - eps)
                    g[j] = inside ? c * inverseK * (pc - y[j]) / (pc * (1 - pc)) : 0
                }
            case .binaryCrossEntropyWithLogits:
                for j in 0..<k { g[j] = c * inverseK * (sigmoid(p[j]) - y[j]) }
            case .softmaxCrossEntropy:
                let lse = logSumExp(p, k)
                var labelSum: T = 0
                for j in 0..<k { labelSum += y[j] }
                for j in 0..<k { g[j] = c * (T.exp(p[j] - lse) * labelSum - y[j]) }
            case .sparseSoftmaxCrossEntropy:
                let label = try classIndex(y[0], row: r, classes: k)
                let lse = logSumExp(p, k)
                for j in 0..<k { g[j] = c * (T.exp(p[j] - lse) - (j == label ? 1 : 0)) }
            case .categoricalCrossEntropy, .sparseCategoricalCrossEntropy:
                let sparseLabel = kind == .sparseCategoricalCrossEntropy ? try classIndex(y[0], row: r, classes: k) : -1
                var sum: T = 0
                for j in 0..<k { sum += p[j] }
                // g_j = ∂loss/∂q_j, then chain through q = p / Σp.
                var weighted: T = 0
                for j in 0..<k {
                    let q = p[j] / sum
                    let label: T = sparseLabel >= 0 ? (j == sparseLabel ? 1 : 0) : y[j]
                    let inside = q >= eps && q <= 1 - eps
                    g[j] = inside ? -label / q : 0
                    weighted += g[j] * q
                }
                for j in 0..<k { g[j] = c * (g[j] - weighted) / sum }
            case .meanSquaredError:
                for j in 0..<k { g[j] = c * inverseK * 2 * (p[j] - y[j]) }
            case .meanAbsoluteError:
                for j in 0..<k {
                    let d = p[j] - y[j]
                    g[j] = c * inverseK * (d > 0 ? 1 : (d < 0 ? -1 : 0))
                }
            case .meanSquaredLogarithmicError:
                for j in 0..<k {
                    let d = T.log1p(Swift.max(p[j], eps)) - T.log1p(Swift.max(y[j], eps))
                    g[j] = p[j] > eps ? c * inverseK * 2 * d / (1 + p[j]) : 0
                }
            case .hinge, .squaredHinge:
                for j in 0..<k {
                    let label = binaryHinge ? 2 * y[j] - 1 : y[j]
                    let margin = 1 - label * p[j]
                    if margin > 0 {
                        g[j] = c * inverseK * (kind == .hinge ? -label : -2 * label * margin)
                    } else {
                        g[j] = 0
                    }
                }
            case .kullbackLeiblerDivergence:
                for j in 0..<k {
                    let yc = Swift.min(Swift.max(y[j], eps), 1)
                    let inside = p[j] >= eps && p[j] <= 1
                    g[j] = inside ? -c * yc / p[j] : 0
                }
            }
        }
    }

    /// max(z, 0) − z·y + log(1 + e^−|z|): the binary cross-entropy of logit z, stable for every z.
    @inline(__always)
    private static func binaryCrossEntropyWithLogits<T: TensorScalar>(_ z: T, label y: T) -> T {
        Swift.max(z, 0) - z * y + T.log1p(T.exp(-Swift.abs(z)))
    }

    @inline(__always)
    private static func sigmoid<T: TensorScalar>(_ z: T) -> T { 1 / (1 + T.exp(-z)) }

    @inline(__always)
    private static func logSumExp<T: TensorScalar>(_ z: UnsafePointer<T>, _ k: Int) -> T {
        var maximum = -T.infinity
        for j in 0..<k where z[j] > maximum { maximum = z[j] }
        if !maximum.isFinite { return maximum }
        var total: T = 0
        for j in 0..<k { total += T.exp(z[j] - maximum) }
        return maximum + T.log(total)
    }
}
