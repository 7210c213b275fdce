import Graph

/// A training loss by Keras name. Cross-entropies take probabilities unless `fromLogits`.
public struct Loss: Sendable, Equatable, CustomStringConvertible {
    /// The graph loss it builds.
    public let kind: LossKind
    /// The Keras name (`binary_crossentropy`, `mse` …).
    public let kerasName: String
    /// True when the cross-entropy was asked for on logits.
    public let fromLogits: Bool

    private init(_ kind: LossKind, _ name: String, fromLogits: Bool = false) {
        self.kind = kind
        self.kerasName = name
        self.fromLogits = fromLogits
    }

    /// Keras `binary_crossentropy` (probabilities clipped to [1e-7, 1 − 1e-7]).
    public static let binaryCrossEntropy = Loss(.binaryCrossEntropy, "binary_crossentropy")
    /// Keras `categorical_crossentropy` (one-hot labels).
    public static let categoricalCrossEntropy = Loss(.categoricalCrossEntropy, "categorical_crossentropy")
    /// Keras `sparse_categorical_crossentropy` (integer labels).
    public static let sparseCategoricalCrossEntropy = Loss(.sparseCategoricalCrossEntropy, "sparse_categorical_crossentropy")
    /// The cross-entropies on logits (`from_logits=True`).
    public static func binaryCrossEntropy(fromLogits: Bool) -> Loss {
        fromLogits ? Loss(.binaryCrossEntropyWithLogits, "binary_crossentropy", fromLogits: true) : binaryCrossEntropy
    }
    public static func categoricalCrossEntropy(fromLogits: Bool) -> Loss {
        fromLogits ? Loss(.softmaxCrossEntropy, "categorical_crossentropy", fromLogits: true) : categoricalCrossEntropy
    }
    public static func sparseCategoricalCrossEntropy(fromLogits: Bool) -> Loss {
        fromLogits ? Loss(.sparseSoftmaxCrossEntropy, "sparse_categorical_crossentropy", fromLogits: true) : sparseCategoricalCrossEntropy
    }
    /// `mean_squared_error`
    public static let meanSquaredError = Loss(.meanSquaredError, "mean_squared_error")
    /// `mean_absolute_error`
    public static let meanAbsoluteError = Loss(.meanAbsoluteError, "mean_absolute_error")
    /// `mean_squared_logarithmic_error`
    public static let meanSquaredLogarithmicError = Loss(.meanSquaredLogarithmicError, "mean_squared_logarithmic_error")
    /// `hinge` (labels −1/1, or 0/1 which are mapped)
    public static let hinge = Loss(.hinge, "hinge")
    /// `squared_hinge`
    public static let squaredHinge = Loss(.squaredHinge, "squared_hinge")
    /// `kl_divergence`
    public static let kullbackLeiblerDivergence = Loss(.kullbackLeiblerDivergence, "kl_divergence")

    /// Parses a Keras loss name or alias (`mse`, `mae`, `msle`, `kld`, `binary_crossentropy` …).
    public init(keras name: String) throws {
        switch name {
        case "binary_crossentropy", "bce": self = .binaryCrossEntropy
        case "categorical_crossentropy": self = .categoricalCrossEntropy
        case "sparse_categorical_crossentropy": self = .sparseCategoricalCrossEntropy
        case "mse", "mean_squared_error": self = .meanSquaredError
        case "mae", "mean_absolute_error": self = .meanAbsoluteError
        case "msle", "mean_squared_logarithmic_error": self = .meanSquaredLogarithmicError
        case "hinge": self = .hinge
        case "squared_hinge": self = .squaredHinge
        case "kld", "kl_divergence", "kullback_leibler_divergence": self = .kullbackLeiblerDivergence
        default:
            throw ModelError.invalidConfiguration("unknown loss \"\(name)\"; known: binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, mse, mae, msle, hinge, squared_hinge, kld")
        }
    }

    /// True when labels are class indices (one column) rather than shaped like the outputs.
    public var hasSparseLabels: Bool { kind.hasSparseLabels }

    public var description: String { kerasName + (fromLogits ? " (from logits)" : "") }
}
