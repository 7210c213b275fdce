import Graph
import Runtime

/// Builds a layer list in a `Sequential { … }` block.
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression(_ layer: Layer) -> [Layer] { [layer] }
    public static func buildBlock(_ parts: [Layer]...) -> [Layer] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Layer]?) -> [Layer] { part ?? [] }
    public static func buildEither(first: [Layer]) -> [Layer] { first }
    public static func buildEither(second: [Layer]) -> [Layer] { second }
    public static func buildArray(_ parts: [[Layer]]) -> [Layer] { parts.flatMap { $0 } }
}

/// A stack of layers, Keras' `Sequential`:
///
/// ```swift
/// let model = Sequential(seed: 1) {
///     Dense(50, activation: .relu, kernelInitializer: .heUniform(), inputShape: [2])
///     BatchNormalization()
///     Dense(1, activation: .sigmoid)
/// }
/// try model.compile(optimizer: SGD(learningRate: 0.01, momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
/// let history = try model.fit(x: x, y: y, batchSize: 32, epochs: 100, validationData: (testX, testY), verbose: 0)
/// ```
///
/// Layers get Keras-style names in the model (`dense`, `dense_1`, `batch_normalization` …). The
/// model is built (shapes and initial weights) as soon as its input shape is known: from the
/// first layer's `inputShape`, the model's, or the data given to `fit`. `seed` makes the initial
/// weights (and the seeds of dropout and noise layers, and `fit`'s shuffling) reproducible; when
/// it is not given, `ModelSeeds.current` (which a tuner sets for each execution of a trial), else 0.
public final class Sequential {
    public let name: String
    public let seed: UInt64
    public private(set) var layers: [Layer] = []
    /// The input shape without the batch dimension, once known.
    public private(set) var inputShape: [Int]?
    /// Per layer: output shape and parameters (set by `build`).
    private(set) var built: [(output: [Int], parameters: [ParameterSpec])] = []
    /// Weights before compilation (and the initial values of a compilation), by variable name.
    var pendingWeights: [String: [Float]] = [:]
    var compiled: CompiledModel?
    /// True while `compiled` only serves `predict` (no `compile` was called): `fit` and
    /// `evaluate` still ask for one.
    var compiledForPredictionOnly = false
    /// A `compile` given before the input shape was known (done by the first fit, evaluate or predict).
    var deferredCompile: (optimizer: Optimizer, loss: Loss, metrics: [Metric])?
    /// The history of the last `fit`, kept even when it ended with an error.
    public internal(set) var lastHistory = History()

    /// An empty model; add layers with `add`.
    public init(name: String = "sequential", seed: UInt64? = nil, inputShape: [Int]? = nil) {
        self.name = name
        self.seed = seed ?? ModelSeeds.current ?? 0
        self.inputShape = inputShape
    }

    /// The layer block may throw (a tuner's `try hp.int(…)` inside it); so does the init then.
    public convenience init(name: String = "sequential", seed: UInt64? = nil, inputShape: [Int]? = nil, @LayerBuilder _ layers: () throws -> [Layer]) rethrows {
        self.init(name: name, seed: seed, inputShape: inputShape)
        for layer in try layers() { append(layer) }
    }

    /// Adds a layer at the end (Keras' `model.add`). A compiled model must be compiled again.
    public func add(_ layer: Layer) {
        append(layer)
        built = []
        compiled = nil
    }

    private func append(_ layer: Layer) {
        if layer.name.isEmpty {
            var candidate = layer.baseName
            var counter = 0
            while layers.contains(where: { $0.name == candidate }) {
                counter += 1
                candidate = "\(layer.baseName)_\(counter)"
            }
            layer.name = candidate
        }
        if let seeded = layer as? SeededLayer { seeded.derivedSeed = seed ^ stableHash(layer.name) }
        if inputShape == nil, layers.isEmpty, let shape = layer.inputShape { inputShape = shape }
        layers.append(layer)
    }

    /// The layer called `name`.
    public func layer(named name: String) -> Layer? { layers.first { $0.name == name } }

    /// Infers every layer's output shape and parameters for `inputShape` and draws initial weights.
    public func build(inputShape: [Int]) throws {
        guard !layers.isEmpty else { throw ModelError.invalidConfiguration("model \"\(name)\" has no layers") }
        var names = Set<String>()
        for layer in layers where !names.insert(layer.name).inserted {
            throw ModelError.invalidConfiguration("two layers of model \"\(name)\" are called \"\(layer.name)\"; layer names must be unique")
        }
        var shape = inputShape
        var result: [(output: [Int], parameters: [ParameterSpec])] = []
        var weights: [String: [Float]] = [:]
        for layer in layers {
            let parameters = try layer.parameters(for: shape)
            shape = try layer.outputShape(for: shape)
            result.append((shape, parameters))
            for p in parameters {
                let variable = "\(layer.name)/\(p.name)"
                let values = p.initializer.values(count: p.count, fanIn: p.fanIn, fanOut: p.fanOut, derivedSeed: seed ^ stableHash(variable))
                weights[variable] = values.map(Float.init)
            }
        }
        self.inputShape = inputShape
        self.built = result
        self.pendingWeights = weights
        self.compiled = nil
    }

    /// Builds the model if its input shape is known and it is not built yet.
    func ensureBuilt() throws {
        guard built.isEmpty else { return }
        guard let inputShape else {
            throw ModelError.notReady("model \"\(name)\" does not know its input shape yet; give the first layer an inputShape, call build(inputShape:), or fit it on data")
        }
        try build(inputShape: inputShape)
    }

    /// The output shape without the batch dimension.
    public var outputShape: [Int]? { built.last?.output }

    /// Every parameter of every layer, in order, with its variable name.
    var parameterList: [(layer: Layer, variable: String, spec: ParameterSpec)] {
        zip(layers, built).flatMap { layer, b in b.parameters.map { (layer, "\(layer.name)/\($0.name)", $0) } }
    }

    /// Total, trainable and non-trainable parameter counts.
    public var parameterCounts: (total: Int, trainable: Int, nonTrainable: Int) {
        let list = parameterList
        let trainable = list.filter(\.spec.trainable).reduce(0) { $0 + $1.spec.count }
        let total = list.reduce(0) { $0 + $1.spec.count }
        return (total, trainable, total - trainable)
    }
}

/// The seed of models built without one (`Sequential(seed:)` not given): a tuner runs each
/// execution's model-building closure under `ModelSeeds.$current.withValue(seed) { … }`, so that
/// executions differ from each other and every one is reproducible.
public enum ModelSeeds {
    @TaskLocal public static var current: UInt64?
}
