import Graph

/// A fully connected layer: `activation(x·kernel + bias)` with `kernel` of shape
/// `[inputs, units]` (Keras' `Dense`). Defaults follow Keras: Glorot-uniform kernel, zero bias.
public final class Dense: Layer {
    public var name: String
    public let units: Int
    public let activation: ActivationFunction
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let kernelRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    /// Penalty on the layer's output, averaged over the batch (as Keras does).
    public let activityRegularizer: Regularizer?
    public let kernelConstraint: Constraint?
    public let biasConstraint: Constraint?
    public let inputShape: [Int]?
    public var typeName: String { "Dense" }
    public var baseName: String { "dense" }

    /// - Parameter inputShape: the features of the model's input when this is its first layer
    ///   (Keras' `input_dim=2` is `inputShape: [2]`).
    public init(_ units: Int, activation: ActivationFunction = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform(), biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil, activityRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil,
                inputShape: [Int]? = nil, name: String = "") {
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.activityRegularizer = activityRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
        self.inputShape = inputShape
        self.name = name
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        _ = try requireFlatInput(inputShape, layer: self)
        guard units > 0 else { throw ModelError.invalidConfiguration("layer \"\(name)\" (Dense) needs at least one unit, got \(units)") }
        return [units]
    }

    public func parameters(for inputShape: [Int]) throws -> [ParameterSpec] {
        let inputs = try requireFlatInput(inputShape, layer: self)
        var specs = [ParameterSpec(name: "kernel", shape: [inputs, units], initializer: kernelInitializer,
                                   regularizer: kernelRegularizer, constraint: kernelConstraint, fanIn: inputs, fanOut: units)]
        if useBias {
            specs.append(ParameterSpec(name: "bias", shape: [units], initializer: biasInitializer, regularizer: biasRegularizer,
                                       constraint: biasConstraint, fanIn: inputs, fanOut: units))
        }
        return specs
    }

    public func forward(_ x: NodeID, _ context: LayerContext) throws -> NodeID {
        let g = context.graph
        var y = try g.matmul(x, try context.parameter(self, "kernel"), name: context.name(self, "matmul"))
        if useBias { y = try g.add(y, try context.parameter(self, "bias"), name: context.name(self, "bias_add")) }
        y = try activation.apply(y, in: g, name: context.name(self, activation.rawValue))
        if let activityRegularizer, context.training {
            context.addLoss(try activityRegularizer.batchMeanPenalty(y, in: g))
        }
        return y
    }
}

extension Regularizer {
    /// The penalty of a batch of outputs divided by the batch size: Keras' activity regularization.
    /// Computed as the penalty of the per-feature batch means of `|y|` or `y²`, which is the same.
    func batchMeanPenalty(_ y: NodeID, in g: Graph) throws -> NodeID {
        switch self {
        case .l1(let factor): return try g.mul(g.sum(g.mean(g.abs(y), axes: [0])), g.scalar(factor))
        case .l2(let factor): return try g.mul(g.sum(g.mean(g.square(y), axes: [0])), g.scalar(factor))
        case .l1l2(let a, let b): return try g.add(Regularizer.l1(a).batchMeanPenalty(y, in: g), Regularizer.l2(b).batchMeanPenalty(y, in: g))
        }
    }
}
