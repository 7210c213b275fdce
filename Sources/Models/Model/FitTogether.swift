import Runtime

extension Sequential {
    /// Trains several compiled models of one architecture at once, as the trials of ONE compiled
    /// program (vectorized trials): every variable has a copy per model, elementwise kernels run
    /// over all copies in one pass and every other kernel loops over them inside one kernel, so K
    /// models cost one dispatch per kernel and one pass of the training loop instead of K.
    ///
    /// The models may differ in anything that leaves the compiled graph unchanged: initial weights
    /// (their seeds), the learning rate (a variable), and with it the batch order (`seeds`). They
    /// must have the same layers, loss, metrics and optimizer constants (momentum, β₁, clipping …),
    /// and dropout layers the same seeds; otherwise this throws, naming the first model that
    /// differs (train such models apart, with `fit`).
    ///
    /// Each model's result is bit for bit that of `model.fit(…)` alone with the same arguments:
    /// its history, final weights (in the model, as after `fit`), and what its callbacks see
    /// (callbacks run against the model's own weights, synchronized before and after them). A model
    /// whose loss diverges, whose callback throws, or that stops early (`EarlyStopping`) ends alone;
    /// the others train on unchanged.
    ///
    /// - Parameters:
    ///   - models: compiled models with identical compiled graphs (at least one).
    ///   - seeds: each model's shuffling seed (`nil`: the model's own seed, as in `fit`).
    ///   - callbacks: each model's callbacks (empty, or one list per model).
    ///   - The other parameters are `fit`'s, shared by every model.
    /// - Returns: one result per model, in order: its `History`, or the error that ended it.
    public static func fitTogether(_ models: [Sequential], x: Matrix, y: Matrix, batchSize: Int = 32, epochs: Int = 1,
                                   validationData: (x: Matrix, y: Matrix)? = nil, validationSplit: Double = 0, shuffle: Bool = true,
                                   seeds: [UInt64?]? = nil, callbacks: [[Callback]] = [], verbose: Int = 0, evaluateTrainingSet: Bool = true,
                                   allowNonFiniteLoss: Bool = false, dropRemainder: Bool = false) throws -> [Result<History, Error>] {
        for model in models where model.inputShape == nil { try model.build(inputShape: [x.columns]) }
        let compiled = try checkedForTogether(models, seeds: seeds, callbacks: callbacks)
        let (train, validation): ((x: Matrix, y: Matrix), (x: Matrix, y: Matrix)?)
        do {
            for (model, each) in zip(models, compiled) {
                try model.checkFitArguments(x: x, y: y, batchSize: batchSize, epochs: epochs, validationData: validationData,
                                            validationSplit: validationSplit, compiled: each)
            }
            (train, validation) = try split(x: x, y: y, validationData: validationData, validationSplit: validationSplit)
            if dropRemainder && train.x.rows < batchSize {
                throw ModelError.invalidConfiguration("dropRemainder with batch size \(batchSize) leaves no batch of the \(train.x.rows) training rows; use a smaller batch size")
            }
        } catch {
            // As `fit`: callbacks hear of a fit that failed before training (a tracked run is marked failed).
            for (i, model) in models.enumerated() where !callbacks.isEmpty {
                let training = Training(model: model, compiled: compiled[i], epochs: epochs, stepsPerEpoch: 0, trainingData: (x, y))
                for callback in callbacks[i] { callback.onTrainError(error, training) }
            }
            throw error
        }
        let session = models.count == 1 ? compiled[0].session
            : try engine { try Session(graph: compiled[0].graph, options: compiled[0].session.options, trials: models.count) }
        let options = FitOptions(batchSize: batchSize, epochs: epochs, shuffle: shuffle, seed: nil, verbose: verbose,
                                 evaluateTrainingSet: evaluateTrainingSet, allowNonFiniteLoss: allowNonFiniteLoss, dropRemainder: dropRemainder)
        let members = models.indices.map { i in
            (models[i], compiled[i], callbacks.isEmpty ? [] : callbacks[i], seeds?[i] ?? models[i].seed)
        }
        return try FitLoop(members: members, session: session, train: train, validation: validation, options: options).run()
    }

    /// True when `models` (compiled, built) can train together with `fitTogether`: they compile to
    /// the same program (see there).
    public static func canFitTogether(_ models: [Sequential]) -> Bool {
        guard let compiled = try? models.map({ try $0.requireCompiled() }), let first = compiled.first?.graph else { return false }
        return Set(models.map(ObjectIdentifier.init)).count == models.count
            && compiled.allSatisfy { $0.graph.dtype == first.dtype && $0.graph.nodes == first.nodes }
    }

    /// The models' compiled models, after checking they can train together.
    private static func checkedForTogether(_ models: [Sequential], seeds: [UInt64?]?, callbacks: [[Callback]]) throws -> [CompiledModel] {
        guard !models.isEmpty else { throw ModelError.invalidConfiguration("fitTogether needs at least one model") }
        guard models.count <= Session.maximumTrials else {
            throw ModelError.invalidConfiguration("fitTogether trains at most \(Session.maximumTrials) models at once, not \(models.count)")
        }
        if let seeds, seeds.count != models.count {
            throw ModelError.invalidConfiguration("fitTogether got \(seeds.count) seeds for \(models.count) models; give one per model (nil: the model's own)")
        }
        if !callbacks.isEmpty && callbacks.count != models.count {
            throw ModelError.invalidConfiguration("fitTogether got \(callbacks.count) callback lists for \(models.count) models; give one per model, or none")
        }
        guard Set(models.map(ObjectIdentifier.init)).count == models.count else {
            throw ModelError.invalidConfiguration("fitTogether got the same model twice; each trial needs a model of its own")
        }
        let compiled = try models.map { try $0.requireCompiled() }
        let first = compiled[0].graph
        for (i, each) in compiled.enumerated().dropFirst() where each.graph.dtype != first.dtype || each.graph.nodes != first.nodes {
            throw ModelError.invalidConfiguration("model \(i) (\"\(models[i].name)\") does not compile to the same program as model 0 (\"\(models[0].name)\"): models trained together may differ only in initial weights, learning rate and batch order, not in layers, loss, metrics, optimizer settings or dropout seeds; train it apart with fit")
        }
        return compiled
    }
}
