import Graph

/// Applies an activation function (Keras' `Activation`).
public final class Activation: Layer {
    public var name: String
    public let function: ActivationFunction
    public var typeName: String { "Activation" }
    public var baseName: String { "activation" }

    public init(_ function: ActivationFunction, name: String = "") {
        self.function = function
        self.name = name
    }

    public func forward(_ x: NodeID, _ context: LayerContext) throws -> NodeID {
        try function.apply(x, in: context.graph, name: context.name(self, function.rawValue))
    }
}

/// Inverted dropout: in training each value is zeroed with probability `rate` and the kept ones
/// are scaled by `1/(1 − rate)`; identity in inference (Keras' `Dropout`). The mask is a function
/// of the seed (given, or derived from the model's seed and the layer name) and the step.
public final class Dropout: Layer {
    public var name: String
    public let rate: Double
    public let seed: UInt64?
    var derivedSeed: UInt64 = 0
    public var typeName: String { "Dropout" }
    public var baseName: String { "dropout" }

    public init(_ rate: Double, seed: UInt64? = nil, name: String = "") {
        self.rate = rate
        self.seed = seed
        self.name = name
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard rate >= 0, rate < 1 else {
            throw ModelError.invalidConfiguration("layer \"\(name)\" (Dropout): rate must be in [0, 1), got \(rate)")
        }
        return inputShape
    }

    public func forward(_ x: NodeID, _ context: LayerContext) throws -> NodeID {
        guard context.training, rate > 0 else { return x }
        return try context.graph.dropout(x, rate: rate, seed: seed ?? derivedSeed, name: context.name(self, "dropout"))
    }
}

/// Additive zero-mean Gaussian noise in training, identity in inference (Keras' `GaussianNoise`).
public final class GaussianNoise: Layer {
    public var name: String
    public let stddev: Double
    public let seed: UInt64?
    var derivedSeed: UInt64 = 0
    public var typeName: String { "GaussianNoise" }
    public var baseName: String { "gaussian_noise" }

    public init(_ stddev: Double, seed: UInt64? = nil, name: String = "") {
        self.stddev = stddev
        self.seed = seed
        self.name = name
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard stddev >= 0 else {
            throw ModelError.invalidConfiguration("layer \"\(name)\" (GaussianNoise): stddev must be non-negative, got \(stddev)")
        }
        return inputShape
    }

    public func forward(_ x: NodeID, _ context: LayerContext) throws -> NodeID {
        guard context.training, stddev > 0 else { return x }
        return try context.graph.gaussianNoise(x, stddev: stddev, seed: seed ?? derivedSeed, name: context.name(self, "noise"))
    }
}

/// Seeds derived per layer for the random layers that were not given one.
protocol SeededLayer: AnyObject {
    var derivedSeed: UInt64 { get set }
}

extension Dropout: SeededLayer {}
extension GaussianNoise: SeededLayer {}
