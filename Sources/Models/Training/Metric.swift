import Graph

/// Metrics reported during training and evaluation, by Keras name. Each is a per-sample value
/// averaged over the samples of a batch, and over all samples of an epoch (weighted by batch size).
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
    /// `mean((y − p)²)`
    case meanSquaredError
    /// `mean(|y − p|)`
    case meanAbsoluteError

    /// Parses a Keras metric name (`accuracy`/`acc`, `binary_accuracy`, `mse`, `mae` …).
    public init(keras name: String) throws {
        switch name {
        case "accuracy", "acc": self = .accuracy
        case "binary_accuracy": self = .binaryAccuracy
        case "categorical_accuracy": self = .categoricalAccuracy
        case "sparse_categorical_accuracy": self = .sparseCategoricalAccuracy
        case "mse", "mean_squared_error": self = .meanSquaredError
        case "mae", "mean_absolute_error": self = .meanAbsoluteError
        default:
            throw ModelError.invalidConfiguration("unknown metric \"\(name)\"; known: accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, mse, mae")
        }
    }

    /// The key in `History` and logs (`accuracy`, `mse` …), as Keras names it.
    public var key: String {
        switch self {
        case .accuracy: return "accuracy"
        case .binaryAccuracy: return "binary_accuracy"
        case .categoricalAccuracy: return "categorical_accuracy"
        case .sparseCategoricalAccuracy: return "sparse_categorical_accuracy"
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

    /// The batch mean of the metric, as a scalar node. Binary accuracy thresholds at 0.5, or at 0
    /// when the loss takes logits or is a hinge loss (whose labels −1/1 are read as 0/1).
    func node(labels y: NodeID, predictions p: NodeID, loss: Loss, in g: Graph) throws -> NodeID {
        switch resolved(for: loss, outputs: g[p].shape.dims.dropFirst().reduce(1, *)) {
        case .binaryAccuracy, .accuracy:
            let threshold: Double
            switch loss.kind {
            case .binaryCrossEntropyWithLogits, .hinge, .squaredHinge: threshold = 0
            default: threshold = 0.5
            }
            var labels = y
            if loss.kind == .hinge || loss.kind == .squaredHinge {
                labels = try g.compare(.greater, y, g.scalar(0))  // −1/1 or 0/1 labels: positive means class 1
            }
            return try g.mean(g.compare(.equal, labels, g.compare(.greater, p, g.scalar(threshold))))
        case .categoricalAccuracy:
            // Keras: argmax(labels) == argmax(predictions), the first index winning ties.
            return try g.mean(g.sum(g.mul(Self.firstArgmax(y, in: g), Self.firstArgmax(p, in: g)), axes: [-1]))
        case .sparseCategoricalAccuracy:
            let classes = g[p].shape.dims.last ?? 1
            let labels = try g.reshape(y, [Shape.batch, 1])
            let oneHot = try g.compare(.equal, labels, g.constant((0..<classes).map(Double.init), shape: [classes]))
            return try g.mean(g.sum(g.mul(oneHot, Self.firstArgmax(p, in: g)), axes: [-1]))
        case .meanSquaredError:
            return try g.mean(g.square(g.sub(y, p)))
        case .meanAbsoluteError:
            return try g.mean(g.abs(g.sub(y, p)))
        }
    }
}
