import Models
import Tracking

extension TrainSpec {
    /// The layers of `config` (entries whose `when:` does not hold are left out).
    func layers(_ config: RunConfig) throws -> [Layer] {
        var layers: [Layer] = []
        for entry in try model.list() {
            let pairs = try entry.mapping()
            guard pairs.count == 1, let (type, node) = pairs.first else {
                throw entry.error("each model entry is one layer, such as `- Dense: {units: 50, activation: relu}`")
            }
            guard let make = Self.layerTypes[type] else {
                let suggestion = SpecNode.closest(type, in: Array(Self.layerTypes.keys)).map { " (did you mean \($0)?)" } ?? ""
                throw node.error("unknown layer \(type)\(suggestion); known: \(Self.layerTypes.keys.sorted().joined(separator: ", "))")
            }
            let arguments = try SpecArguments(node, config: config, known: make.keys + ["when", "name"])
            guard try SpecArguments.when(arguments.node("when"), config: config) else { continue }
            layers.append(try make.build(arguments))
        }
        guard !layers.isEmpty else { throw model.error("the model has no layers") }
        return layers
    }

    /// Each layer type: its argument names (Keras') and how to build it.
    static let layerTypes: [String: (keys: [String], build: @Sendable (SpecArguments) throws -> Layer)] = [
        "Dense": (["units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
                   "activity_regularizer", "kernel_constraint", "bias_constraint", "input_shape"], { a in
            Dense(try a.require("units", a.int), activation: try activation(a), useBias: try a.bool("use_bias") ?? true,
                  kernelInitializer: try initializer(a, "kernel_initializer") ?? .glorotUniform(), biasInitializer: try initializer(a, "bias_initializer") ?? .zeros,
                  kernelRegularizer: try regularizer(a, "kernel_regularizer"), biasRegularizer: try regularizer(a, "bias_regularizer"),
                  activityRegularizer: try regularizer(a, "activity_regularizer"), kernelConstraint: try constraint(a, "kernel_constraint"),
                  biasConstraint: try constraint(a, "bias_constraint"), inputShape: try a.ints("input_shape"), name: try a.string("name") ?? "")
        }),
        "BatchNormalization": (["momentum", "epsilon", "center", "scale", "trainable", "input_shape"], { a in
            BatchNormalization(momentum: try a.double("momentum") ?? 0.99, epsilon: try a.double("epsilon") ?? 1e-3, center: try a.bool("center") ?? true,
                               scale: try a.bool("scale") ?? true, trainable: try a.bool("trainable") ?? true, inputShape: try a.ints("input_shape"),
                               name: try a.string("name") ?? "")
        }),
        "Dropout": (["rate"], { a in Dropout(try a.require("rate", a.double), name: try a.string("name") ?? "") }),
        "GaussianNoise": (["stddev"], { a in GaussianNoise(try a.require("stddev", a.double), name: try a.string("name") ?? "") }),
        "Activation": (["activation"], { a in Activation(try activation(a), name: try a.string("name") ?? "") }),
    ]

    private static func activation(_ a: SpecArguments) throws -> ActivationFunction {
        guard let name = try a.string("activation") else { return .linear }
        return try modelError(a, "activation") { try ActivationFunction(keras: name) }
    }

    private static func initializer(_ a: SpecArguments, _ key: String) throws -> Initializer? {
        guard let name = try a.string(key) else { return nil }
        return try modelError(a, key) { try Initializer(keras: name) }
    }

    /// `{l2: 0.01}`, `{l1: 0.001}` or `{l1: …, l2: …}`.
    private static func regularizer(_ a: SpecArguments, _ key: String) throws -> Regularizer? {
        guard let value = a.value(key), let node = a.node(key) else { return nil }
        guard case .dictionary(let factors) = value, !factors.isEmpty, factors.keys.allSatisfy({ ["l1", "l2"].contains($0) }),
              factors.values.allSatisfy({ $0.number != nil }) else {
            throw node.error("\(key) is {l1: factor}, {l2: factor} or {l1: …, l2: …}, got \(value)")
        }
        let l1 = factors["l1"]?.number, l2 = factors["l2"]?.number
        switch (l1, l2) {
        case let (a?, b?): return .l1l2(l1: a, l2: b)
        case let (a?, nil): return .l1(a)
        case let (nil, b?): return .l2(b)
        default: return nil
        }
    }

    /// `{max_norm: 3}`, `unit_norm` or `non_neg`.
    private static func constraint(_ a: SpecArguments, _ key: String) throws -> Constraint? {
        guard let value = a.value(key), let node = a.node(key) else { return nil }
        if case .dictionary(let d) = value, d.count == 1, let maxNorm = d["max_norm"]?.number { return .maxNorm(maxNorm) }
        switch value {
        case .string("unit_norm"): return .unitNorm()
        case .string("non_neg"), .string("non_negative"): return .nonNegative
        default: throw node.error("\(key) is {max_norm: value}, unit_norm or non_neg, got \(value)")
        }
    }

    /// Runs `body`, turning a model error into a spec error at `key`'s line.
    static func modelError<T>(_ a: SpecArguments, _ key: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ModelError {
            throw (a.node(key) ?? a.entry).error("\(error)")
        }
    }

    /// The compiled model of `config`. Its seed: the config's `seed` when it has one, else the
    /// tuner's (`ModelSeeds.current`), else 0.
    public func model(_ config: RunConfig) throws -> Sequential {
        var seed: UInt64?
        if let value = SpecArguments.lookup("seed", in: config) {
            guard let number = Int(configValue: value), number >= 0 else {
                throw TuningError.invalidSpec("\(source): config seed must be a non-negative integer, not \(value)")
            }
            seed = UInt64(number)
        }
        let model = Sequential(seed: seed)
        for layer in try layers(config) { model.add(layer) }
        let (optimizer, loss, metrics) = try compileArguments(config)
        do {
            try model.compile(optimizer: optimizer, loss: loss, metrics: metrics)
        } catch let error as ModelError {
            throw self.model.error("\(error)")
        }
        return model
    }

    /// The optimizer, loss and metrics of `compile:` for `config`.
    func compileArguments(_ config: RunConfig) throws -> (Optimizer, Loss, [Metric]) {
        let arguments = try SpecArguments(compile, config: config, known: ["optimizer", "loss", "metrics"])
        let optimizer = try optimizer(arguments, config: config)
        let loss = try Self.modelError(arguments, "loss") { try Loss(keras: try arguments.require("loss", arguments.string)) }
        let metrics: [Metric]
        switch arguments.value("metrics") {
        case nil: metrics = []
        case .list(let names)?:
            metrics = try names.map { name in
                guard case .string(let text) = name else { throw (arguments.node("metrics") ?? compile).error("metrics are names such as accuracy") }
                return try Self.modelError(arguments, "metrics") { try Metric(keras: text) }
            }
        case let other?: throw (arguments.node("metrics") ?? compile).error("metrics is a list such as [accuracy], got \(other)")
        }
        return (optimizer, loss, metrics)
    }

    static let optimizerKeys = ["name", "learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "epsilon", "amsgrad", "rho",
                                "initial_accumulator_value", "clipnorm", "clipvalue", "global_clipnorm", "when"]

    /// `optimizer: adam`, `{name: sgd, learning_rate: …, momentum: …, clipnorm: …}`, or a list of
    /// such mappings with `when:` (as layers have), of which the first that holds is used — how a
    /// sweep chooses between clipping by norm, by value, or not at all. Every alternative is
    /// checked (keys, names, `when:` keys), not only the one used.
    private func optimizer(_ compileArguments: SpecArguments, config: RunConfig) throws -> Optimizer {
        guard let node = compileArguments.node("optimizer") else { throw compile.error("optimizer is required (sgd, adam, rmsprop, adagrad)") }
        var alternatives = [node]
        if case .sequence = node.node { alternatives = try node.list() }
        var chosen: Optimizer?
        for entry in alternatives {
            let (optimizer, holds) = try optimizerAlternative(entry, config: config)
            if chosen == nil && holds { chosen = optimizer }
        }
        guard let chosen else {
            throw node.error("no optimizer has a when: that holds for this configuration; add one without when: (as the last of a list)")
        }
        return chosen
    }

    /// One optimizer (a name or a mapping), and whether its `when:` holds (true without one).
    private func optimizerAlternative(_ node: SpecNode, config: RunConfig) throws -> (Optimizer, Bool) {
        let name: String
        var a: SpecArguments?
        var holds = true
        if case .mapping = node.node {
            let arguments = try SpecArguments(node, config: config, known: Self.optimizerKeys)
            name = try arguments.require("name", arguments.string)
            holds = try SpecArguments.when(arguments.node("when"), config: config)
            a = arguments
        } else {
            guard case .string(let text) = try SpecArguments.resolve(node, config: config) else { throw node.error("optimizer is a name or a mapping with name:") }
            name = text
        }
        let lr = try a?.double("learning_rate")
        let clipping: GradientClipping
        if let c = try a?.double("clipnorm") { clipping = .byNorm(c) } else if let c = try a?.double("clipvalue") { clipping = .byValue(c) }
        else if let c = try a?.double("global_clipnorm") { clipping = .byGlobalNorm(c) } else { clipping = .none }
        return (try optimizerNamed(name, a, clipping: clipping, learningRate: lr, at: node), holds)
    }

    private func optimizerNamed(_ name: String, _ a: SpecArguments?, clipping: GradientClipping, learningRate lr: Double?, at node: SpecNode) throws -> Optimizer {
        switch name.lowercased() {
        case "sgd":
            return SGD(learningRate: .constant(lr ?? 0.01), momentum: try a?.double("momentum") ?? 0, nesterov: try a?.bool("nesterov") ?? false, clipping: clipping)
        case "adam":
            return Adam(learningRate: .constant(lr ?? 0.001), beta1: try a?.double("beta_1") ?? 0.9, beta2: try a?.double("beta_2") ?? 0.999,
                        epsilon: try a?.double("epsilon") ?? 1e-7, amsgrad: try a?.bool("amsgrad") ?? false, clipping: clipping)
        case "rmsprop":
            return RMSprop(learningRate: .constant(lr ?? 0.001), rho: try a?.double("rho") ?? 0.9, momentum: try a?.double("momentum") ?? 0,
                           epsilon: try a?.double("epsilon") ?? 1e-7, clipping: clipping)
        case "adagrad":
            return Adagrad(learningRate: .constant(lr ?? 0.001), initialAccumulatorValue: try a?.double("initial_accumulator_value") ?? 0.1,
                           epsilon: try a?.double("epsilon") ?? 1e-7, clipping: clipping)
        default:
            throw node.error("unknown optimizer \(name); known: sgd, adam, rmsprop, adagrad")
        }
    }
}
