/// Loss functions, as Keras defines them. A loss op takes `(labels, predictions)` with predictions
/// of shape `[batch, k]` and yields one value per sample (shape `[batch]`): the mean (or, for the
/// cross-entropies and KL divergence, the sum) over the last axis. The builder's `reduction: .mean`
/// then averages over the batch, as Keras' default `sum_over_batch_size` does.
///
/// Losses are differentiable with respect to their predictions; labels are data.
public enum LossKind: String, Hashable, Codable, Sendable, CaseIterable {
    /// `−mean(y·ln p + (1−y)·ln(1−p))` with `p` clipped to `[1e-7, 1 − 1e-7]` (Keras' `epsilon`).
    case binaryCrossEntropy
    /// The same loss on logits `z`, in the stable form `mean(max(z,0) − z·y + ln(1 + e^−|z|))`.
    case binaryCrossEntropyWithLogits
    /// `−Σ y·log_softmax(z)` with one-hot (or soft) labels `y` and logits `z`.
    case softmaxCrossEntropy
    /// `−log_softmax(z)[label]` with integer class labels of shape `[batch]` or `[batch, 1]`.
    case sparseSoftmaxCrossEntropy
    /// Keras `categorical_crossentropy` on probabilities: `p` renormalised to sum 1, clipped to
    /// `[1e-7, 1 − 1e-7]`, then `−Σ y·ln p`.
    case categoricalCrossEntropy
    /// Keras `sparse_categorical_crossentropy` on probabilities, integer labels.
    case sparseCategoricalCrossEntropy
    /// `mean((y − p)²)`
    case meanSquaredError
    /// `mean(|y − p|)`
    case meanAbsoluteError
    /// `mean((ln(1 + max(p, ε)) − ln(1 + max(y, ε)))²)`, `ε = 1e-7`
    case meanSquaredLogarithmicError
    /// `mean(max(1 − y·p, 0))`; labels in {0, 1} are mapped to {−1, 1} first, as Keras does
    case hinge
    /// `mean(max(1 − y·p, 0)²)`; labels in {0, 1} are mapped to {−1, 1} first
    case squaredHinge
    /// `Σ y·ln(y/p)` with `y` and `p` clipped to `[1e-7, 1]`
    case kullbackLeiblerDivergence

    /// Keras' fuzz factor `epsilon()`.
    public static let epsilon = 1e-7

    /// True for the losses whose labels are class indices rather than a tensor shaped like predictions.
    public var hasSparseLabels: Bool {
        self == .sparseSoftmaxCrossEntropy || self == .sparseCategoricalCrossEntropy
    }

    /// The Keras name (`binary_crossentropy`, `mse`, …) used in labels and reports.
    public var kerasName: String {
        switch self {
        case .binaryCrossEntropy: return "binary_crossentropy"
        case .binaryCrossEntropyWithLogits: return "binary_crossentropy_logits"
        case .softmaxCrossEntropy: return "softmax_crossentropy"
        case .sparseSoftmaxCrossEntropy: return "sparse_softmax_crossentropy"
        case .categoricalCrossEntropy: return "categorical_crossentropy"
        case .sparseCategoricalCrossEntropy: return "sparse_categorical_crossentropy"
        case .meanSquaredError: return "mse"
        case .meanAbsoluteError: return "mae"
        case .meanSquaredLogarithmicError: return "msle"
        case .hinge: return "hinge"
        case .squaredHinge: return "squared_hinge"
        case .kullbackLeiblerDivergence: return "kld"
        }
    }
}
