import Graph

/// Batch normalization over the last axis, with Keras' conventions: in training,
/// `y = γ·(x − μ_B)/√(σ²_B + ε) + β` with the batch mean and *biased* batch variance, and the moving
/// statistics follow `moving ← moving·momentum + batch·(1 − momentum)` (momentum weighs the old
/// value; Keras' default 0.99). In inference, and always when the layer is frozen
/// (`trainable: false`), the moving statistics are used instead. `center`/`scale` drop β/γ.
///
/// From PyTorch's `BatchNorm1d(momentum=m, eps=e)`: use `momentum: 1 − m, epsilon: e`; PyTorch keeps
/// the *unbiased* running variance, so its `running_var` is this one times `n/(n − 1)`.
public final class BatchNormalization: Layer {
    public var name: String
    public let momentum: Double
    public let epsilon: Double
    public let center: Bool
    public let scale: Bool
    public let betaInitializer: Initializer
    public let gammaInitializer: Initializer
    public let movingMeanInitializer: Initializer
    public let movingVarianceInitializer: Initializer
    public let betaRegularizer: Regularizer?
    public let gammaRegularizer: Regularizer?
    /// False freezes the layer: inference mode, and γ/β are not trained.
    public let trainable: Bool
    public let inputShape: [Int]?
    public var typeName: String { "BatchNormalization" }
    public var baseName: String { "batch_normalization" }

    /// - Parameter inputShape: give it when normalizing the model's raw inputs (first layer).
    public init(momentum: Double = 0.99, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true,
                betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones,
                movingMeanInitializer: Initializer = .zeros, movingVarianceInitializer: Initializer = .ones,
                betaRegularizer: Regularizer? = nil, gammaRegularizer: Regularizer? = nil,
                trainable: Bool = true, inputShape: [Int]? = nil, name: String = "") {
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
        self.movingMeanInitializer = movingMeanInitializer
        self.movingVarianceInitializer = movingVarianceInitializer
        self.betaRegularizer = betaRegularizer
        self.gammaRegularizer = gammaRegularizer
        self.trainable = trainable
        self.inputShape = inputShape
        self.name = name
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard !inputShape.isEmpty else {
            throw ModelError.shapeMismatch("layer \"\(name)\" (BatchNormalization) needs at least one feature axis, got (batch)")
        }
        guard (0...1).contains(momentum), epsilon >= 0 else {
            throw ModelError.invalidConfiguration("layer \"\(name)\" (BatchNormalization): momentum must be in [0, 1] and epsilon non-negative, got \(momentum) and \(epsilon)")
        }
        return inputShape
    }

    public func parameters(for inputShape: [Int]) throws -> [ParameterSpec] {
        let features = try outputShape(for: inputShape).last!
        var specs: [ParameterSpec] = []
        if scale { specs.append(ParameterSpec(name: "gamma", shape: [features], initializer: gammaInitializer, trainable: trainable, regularizer: gammaRegularizer)) }
        if center { specs.append(ParameterSpec(name: "beta", shape: [features], initializer: betaInitializer, trainable: trainable, regularizer: betaRegularizer)) }
        specs.append(ParameterSpec(name: "moving_mean", shape: [features], initializer: movingMeanInitializer, trainable: false))
        specs.append(ParameterSpec(name: "moving_variance", shape: [features], initializer: movingVarianceInitializer, trainable: false))
        return specs
    }

    public func forward(_ x: NodeID, _ context: LayerContext) throws -> NodeID {
        let g = context.graph
        let gamma = scale ? try context.parameter(self, "gamma") : nil
        let beta = center ? try context.parameter(self, "beta") : nil
        let movingMean = try context.parameter(self, "moving_mean")
        let movingVariance = try context.parameter(self, "moving_variance")
        guard context.training && trainable else {
            return try g.batchNormInference(x, mean: movingMean, variance: movingVariance, gamma: gamma, beta: beta, epsilon: epsilon, name: context.name(self, "normalize"))
        }
        let bn = try g.batchNormTraining(x, gamma: gamma, beta: beta, epsilon: epsilon, name: context.name(self, "normalize"))
        try g.withRole(.update) {
            for (moving, batch) in [(movingMean, bn.mean), (movingVariance, bn.variance)] {
                let blended = try g.add(g.mul(moving, g.scalar(momentum)), g.mul(batch, g.scalar(1 - momentum)))
                context.addUpdate(try g.assign(moving, blended, name: "\(g[moving].name)/assign"))
            }
        }
        return bn.output
    }
}
