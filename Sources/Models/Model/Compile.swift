extension Sequential {
    /// Configures training (Keras' `compile`): builds the training and inference graph around the
    /// model and compiles it. The current weights are kept (compiling again resets optimizer state).
    /// A model that does not know its input shape yet is compiled as Keras compiles it: when the
    /// first data (`fit`, `evaluate`, `predict`) tells the shape.
    public func compile(optimizer: Optimizer, loss: Loss, metrics: [Metric] = []) throws {
        if built.isEmpty && inputShape == nil {
            guard !layers.isEmpty else { throw ModelError.invalidConfiguration("model \"\(name)\" has no layers") }
            deferredCompile = (optimizer, loss, metrics)
            compiled = nil
            return
        }
        deferredCompile = nil
        try ensureBuilt()
        if let compiled { pendingWeights = try weights(from: compiled) }
        compiled = try engine { try CompiledModel(model: self, optimizer: optimizer, loss: loss, metrics: metrics) }
    }

    /// `compile` with Keras names: `compile(optimizer: "adam", loss: "mse", metrics: ["mae"])`.
    public func compile(optimizer: String, loss: String, metrics: [String] = []) throws {
        let optimizers: [String: Optimizer] = ["sgd": SGD(), "rmsprop": RMSprop(), "adam": Adam(), "adagrad": Adagrad()]
        guard let chosen = optimizers[optimizer.lowercased()] else {
            throw ModelError.invalidConfiguration("unknown optimizer \"\(optimizer)\"; known: sgd, rmsprop, adam, adagrad")
        }
        try compile(optimizer: chosen, loss: try Loss(keras: loss), metrics: try metrics.map(Metric.init(keras:)))
    }

    /// The compiled model; a compile waiting for the input shape happens now, the shape taken
    /// from `columns` (the data's) when the model has none.
    func requireCompiled(columns: Int? = nil) throws -> CompiledModel {
        if compiled == nil, let (optimizer, loss, metrics) = deferredCompile {
            if inputShape == nil, let columns { try build(inputShape: [columns]) }
            try compile(optimizer: optimizer, loss: loss, metrics: metrics)
        }
        guard let compiled else {
            throw ModelError.notReady("model \"\(name)\" is not compiled; call compile(optimizer:loss:metrics:) first")
        }
        return compiled
    }
}
