import Graph

/// Metrics reported during training and evaluation, by Keras name. Most are a per-sample value
/// averaged over the samples of a batch, and over all samples of an epoch (weighted by batch
/// size); `precision`, `recall` and `auc` are computed, as in Keras, from true/false positive
/// counts summed over all the batches seen (so an epoch's value is not a mean of batch values).
public enum Metric: Sendable, Equatable {
    /// Resolved from the shapes as Keras 3 does: binary accuracy for one output, sparse categorical
    /// accuracy for class-index labels, categorical accuracy otherwise.
    case accuracy
    /// `mean(y == (p > threshold))`; the threshold is 0.5 on probabilities (0 on logits).
    case binaryAccuracy
    /// 1 when the predicted class (largest output) is the labelled one.
    case categoricalAccuracy
    /// The same with integer labels.
    case sparseCategoricalAccuracy
    /// 1 when the labelled class is among the `k` largest outputs; as TensorFlow's `in_top_k`,
    /// outputs tied with the k-th count as in (the label's output has fewer than `k` outputs
    /// strictly above it). One-hot labels (the label is their argmax).
    case topKCategoricalAccuracy(k: Int)
    /// The same with integer labels.
    case sparseTopKCategoricalAccuracy(k: Int)
    /// `TP / (TP + FP)` (0 when nothing is predicted positive), every output read as a binary
    /// prediction `p > 0.5` (`> 0` on logits) against labels that are not 0; Keras' `Precision()`.
    case precision
    /// `TP / (TP + FN)` (0 when no label is positive), as `precision`; Keras' `Recall()`.
    case recall
    /// Area under the ROC curve as Keras' `AUC()` computes it: 200 thresholds
    /// `{−1e-7, 1/199, 2/199, …, 198/199, 1 + 1e-7}`, true and false positive rates at each
    /// (`p > t`), summed by the trapezoid rule. Logits (a loss `fromLogits`) go through a sigmoid first.
    case auc
    /// `mean((y − p)²)`
    case meanSquaredError
    /// `mean(|y − p|)`
    case meanAbsoluteError

    static let names = "accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy, "
        + "sparse_top_k_categorical_accuracy, precision, recall, auc, mse, mae"

    /// Parses a Keras metric name (`accuracy`/`acc`, `binary_accuracy`, `auc`, `mse`, `mae` …);
    /// the top-k accuracies take Keras' default k = 5.
    public init(keras name: String) throws {
        switch name {
        case "accuracy", "acc": self = .accuracy
        case "binary_accuracy": self = .binaryAccuracy
        case "categorical_accuracy": self = .categoricalAccuracy
        case "sparse_categorical_accuracy": self = .sparseCategoricalAccuracy
        case "top_k_categorical_accuracy": self = .topKCategoricalAccuracy(k: 5)
        case "sparse_top_k_categorical_accuracy": self = .sparseTopKCategoricalAccuracy(k: 5)
        case "precision", "Precision": self = .precision
        case "recall", "Recall": self = .recall
        case "auc", "AUC": self = .auc
        case "mse", "mean_squared_error": self = .meanSquaredError
        case "mae", "mean_absolute_error": self = .meanAbsoluteError
        default:
            throw ModelError.invalidConfiguration("unknown metric \"\(name)\"; known: \(Self.names)")
        }
    }

    /// The key in `History` and logs (`accuracy`, `mse` …), as Keras names it.
    public var key: String {
        switch self {
        case .accuracy: return "accuracy"
        case .binaryAccuracy: return "binary_accuracy"
        case .categoricalAccuracy: return "categorical_accuracy"
        case .sparseCategoricalAccuracy: return "sparse_categorical_accuracy"
        case .topKCategoricalAccuracy: return "top_k_categorical_accuracy"
        case .sparseTopKCategoricalAccuracy: return "sparse_top_k_categorical_accuracy"
        case .precision: return "precision"
        case .recall: return "recall"
        case .auc: return "auc"
        case .meanSquaredError: return "mse"
        case .meanAbsoluteError: return "mae"
        }
    }

    /// The concrete metric `accuracy` means, decided like Keras 3 from the shapes: binary when the
    /// model has one output, sparse categorical when the labels are class indices, categorical
    /// otherwise.
    func resolved(for loss: Loss, outputs: Int) -> Metric {
        guard self == .accuracy else { return self }
        if loss.hasSparseLabels { return .sparseCategoricalAccuracy }
        return outputs == 1 ? .binaryAccuracy : .categoricalAccuracy
    }

    /// The one-hot of each row's argmax (`[batch, classes]`), the first index winning ties as in
    /// NumPy and Keras: a class is the argmax when it equals the row's maximum and no earlier
    /// class does (the count of earlier maxima is the maxima times a strictly upper-triangular
    /// matrix of ones).
    static func firstArgmax(_ x: NodeID, in g: Graph) throws -> NodeID {
        let classes = g[x].shape.dims.last ?? 1
        let isMax = try g.compare(.equal, x, g.max(x, axes: [-1], keepDims: true))
        let earlier = (0..<classes * classes).map { Double($0 / classes < $0 % classes ? 1 : 0) }
        let maximaBefore = try g.matmul(isMax, g.constant(earlier, shape: [classes, classes]))
        return try g.mul(isMax, g.compare(.equal, maximaBefore, g.scalar(0)))
    }

    /// What the metric fetches for a batch, and how batches combine: for a mean metric one scalar
    /// node, the batch mean; for the confusion metrics the counts of `ConfusionCounts`. Binary
    /// accuracy, precision and recall threshold at 0.5, or at 0 when the loss takes logits or is
    /// a hinge loss (whose labels −1/1 are read as 0/1).
    func fetches(labels y: NodeID, predictions p: NodeID, loss: Loss, in g: Graph) throws -> MetricFetches {
        let outputs = g[p].shape.dims.dropFirst().reduce(1, *)
        let onLogits: Bool
        switch loss.kind {
        case .binaryCrossEntropyWithLogits, .hinge, .squaredHinge: onLogits = true
        default: onLogits = false
        }
        switch resolved(for: loss, outputs: outputs) {
        case .binaryAccuracy, .accuracy:
            var labels = y
            if loss.kind == .hinge || loss.kind == .squaredHinge {
                labels = try g.compare(.greater, y, g.scalar(0))  // −1/1 or 0/1 labels: positive means class 1
            }
            return .mean(try g.mean(g.compare(.equal, labels, g.compare(.greater, p, g.scalar(onLogits ? 0 : 0.5)))))
        case .categoricalAccuracy:
            // Keras: argmax(labels) == argmax(predictions), the first index winning ties.
            return .mean(try g.mean(g.sum(g.mul(Self.firstArgmax(y, in: g), Self.firstArgmax(p, in: g)), axes: [-1])))
        case .sparseCategoricalAccuracy:
            return .mean(try g.mean(g.sum(g.mul(Self.sparseOneHot(y, classes: g[p].shape.dims.last ?? 1, in: g), Self.firstArgmax(p, in: g)), axes: [-1])))
        case .topKCategoricalAccuracy(let k):
            return .mean(try Self.inTopK(Self.firstArgmax(y, in: g), p, k: k, in: g))
        case .sparseTopKCategoricalAccuracy(let k):
            return .mean(try Self.inTopK(Self.sparseOneHot(y, classes: g[p].shape.dims.last ?? 1, in: g), p, k: k, in: g))
        case .precision, .recall:
            try requireDenseLabels(loss)
            return .confusion(try ConfusionCounts.nodes(labels: y, predictions: p, thresholds: [onLogits ? 0 : 0.5], in: g))
        case .auc:
            try requireDenseLabels(loss)
            let probabilities = loss.kind == .binaryCrossEntropyWithLogits ? try g.sigmoid(p) : p
            return .confusion(try ConfusionCounts.nodes(labels: y, predictions: probabilities, thresholds: ConfusionCounts.aucThresholds, in: g))
        case .meanSquaredError:
            return .mean(try g.mean(g.square(g.sub(y, p))))
        case .meanAbsoluteError:
            return .mean(try g.mean(g.abs(g.sub(y, p))))
        }
    }

    private func requireDenseLabels(_ loss: Loss) throws {
        guard !loss.hasSparseLabels else {
            throw ModelError.invalidConfiguration("\(key) needs labels shaped like the predictions (0/1 per output), but \(loss.kerasName) takes class indices; use categorical_crossentropy with one-hot labels")
        }
    }

    /// The one-hot rows (`[batch, classes]`) of integer class labels.
    static func sparseOneHot(_ y: NodeID, classes: Int, in g: Graph) throws -> NodeID {
        let labels = try g.reshape(y, [Shape.batch, 1])
        return try g.compare(.equal, labels, g.constant((0..<classes).map(Double.init), shape: [classes]))
    }

    /// The batch mean of "the labelled class has fewer than `k` outputs strictly above its own".
    static func inTopK(_ oneHot: NodeID, _ p: NodeID, k: Int, in g: Graph) throws -> NodeID {
        guard k >= 1 else { throw ModelError.invalidConfiguration("top-k accuracy needs k ≥ 1, got \(k)") }
        let labelled = try g.sum(g.mul(oneHot, p), axes: [-1], keepDims: true)
        let above = try g.sum(g.compare(.greater, p, labelled), axes: [-1])
        return try g.mean(g.compare(.less, above, g.scalar(Double(k))))
    }
}
