import Graph

/// A trainable tensor of a layer, as the layer declares it: Keras' `add_weight`.
public struct ParameterSpec: Sendable {
    /// The short name (`kernel`, `bias`, `gamma`, `moving_mean` …); the variable is `layer/name`.
    public var name: String
    public var shape: [Int]
    public var initializer: Initializer
    /// Updated by the optimizer (false for moving statistics and frozen layers).
    public var trainable: Bool
    public var regularizer: Regularizer?
    public var constraint: Constraint?
    /// Fan-in and fan-out for the variance-scaling initializers.
    public var fanIn: Int
    public var fanOut: Int

    public init(name: String, shape: [Int], initializer: Initializer, trainable: Bool = true, regularizer: Regularizer? = nil,
                constraint: Constraint? = nil, fanIn: Int? = nil, fanOut: Int? = nil) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
        self.trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
        self.fanIn = fanIn ?? shape.first ?? 1
        self.fanOut = fanOut ?? shape.last ?? 1
    }

    /// Number of scalars.
    public var count: Int { shape.reduce(1, *) }
}

/// A layer of a `Sequential` model: it declares its parameters for a given input shape and
/// appends its computation to a graph, in training or inference mode. Shapes exclude the batch.
public protocol Layer: AnyObject {
    /// The layer's name, unique in its model (`dense`, `dense_1`, …); given by the model when empty.
    var name: String { get set }
    /// The Keras class name shown by `summary()` (`Dense`, `BatchNormalization` …).
    var typeName: String { get }
    /// The base of generated names (`dense`, `batch_normalization` …).
    var baseName: String { get }
    /// The input shape (without the batch), when this layer starts a model.
    var inputShape: [Int]? { get }
    /// The output shape (without the batch) for an input shape, or a `ModelError` naming the layer.
    func outputShape(for inputShape: [Int]) throws -> [Int]
    /// The parameters the layer owns for an input shape.
    func parameters(for inputShape: [Int]) throws -> [ParameterSpec]
    /// Appends the layer's computation of `x` to `context.graph`.
    func forward(_ x: NodeID, _ context: LayerContext) throws -> NodeID
}

extension Layer {
    public var inputShape: [Int]? { nil }
    public func parameters(for inputShape: [Int]) throws -> [ParameterSpec] { [] }
    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
}

/// What a layer sees while its forward pass is built: the graph, the mode, its variables, and
/// where to put extra losses (activity regularization) and updates (moving statistics).
public final class LayerContext {
    public let graph: Graph
    /// True for the training graph (batch statistics, dropout and noise on).
    public let training: Bool
    let variables: [String: NodeID]
    /// Scalar losses the layers add (activity regularization).
    public private(set) var losses: [NodeID] = []
    /// Assigns the layers add (moving statistics), run with every training step.
    public private(set) var updates: [NodeID] = []

    init(graph: Graph, training: Bool, variables: [String: NodeID]) {
        self.graph = graph
        self.training = training
        self.variables = variables
    }

    /// A node name for `layer`'s part `part`: `dense/matmul` in the training graph,
    /// `inference/dense/matmul` in the inference one (both live in one graph).
    public func name(_ layer: Layer, _ part: String) -> String {
        training ? "\(layer.name)/\(part)" : "inference/\(layer.name)/\(part)"
    }

    /// The variable of `layer`'s parameter `name`.
    public func parameter(_ layer: Layer, _ name: String) throws -> NodeID {
        guard let id = variables["\(layer.name)/\(name)"] else {
            throw ModelError.notReady("layer \"\(layer.name)\" has no parameter \"\(name)\"; was the model built?")
        }
        return id
    }

    /// Adds a scalar to the training loss.
    public func addLoss(_ node: NodeID) { losses.append(node) }

    /// Adds an assign to run with each training step.
    public func addUpdate(_ node: NodeID) { updates.append(node) }
}

/// Checks that a layer gets the flat feature vectors it works on.
func requireFlatInput(_ shape: [Int], layer: Layer) throws -> Int {
    guard shape.count == 1, let features = shape.first else {
        throw ModelError.shapeMismatch("layer \"\(layer.name)\" (\(layer.typeName)) takes inputs of shape (batch, features), got (batch, \(shape.map(String.init).joined(separator: ", "))); flatten the data first")
    }
    return features
}
