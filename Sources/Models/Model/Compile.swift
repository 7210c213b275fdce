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
        compiledForPredictionOnly = false
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
        guard let compiled, !compiledForPredictionOnly else {
            throw ModelError.notReady("model \"\(name)\" is not compiled; call compile(optimizer:loss:metrics:) first (predict needs no compile)")
        }
        return compiled
    }

    /// The compiled model for `predict`, which needs neither optimizer nor loss (as in Keras): a
    /// model never compiled is compiled for inference only, the input shape taken from
    /// `columns` when it has none; the weights set or loaded so far are kept.
    func requireCompiledForPrediction(columns: Int) throws -> CompiledModel {
        if compiled == nil && deferredCompile == nil {
            if inputShape == nil { try build(inputShape: [columns]) }
            try ensureBuilt()
            // The loss and optimizer are never run: only the inference graph is.
            compiled = try engine { try CompiledModel(model: self, optimizer: SGD(), loss: .meanSquaredError, metrics: []) }
            compiledForPredictionOnly = true
        }
        if compiledForPredictionOnly, let compiled { return compiled }
        return try requireCompiled(columns: columns)
    }
}
