extension Sequential {
    /// Configures training (Keras' `compile`): builds the training and inference graph around the
    /// model and compiles it. The current weights are kept (compiling again resets optimizer state).
    public func compile(optimizer: Optimizer, loss: Loss, metrics: [Metric] = []) throws {
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

    func requireCompiled() throws -> CompiledModel {
        guard let compiled else {
            throw ModelError.notReady("model \"\(name)\" is not compiled; call compile(optimizer:loss:metrics:) first")
        }
        return compiled
    }
}
