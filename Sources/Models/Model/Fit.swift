import Runtime

extension Sequential {
    /// Trains the model (Keras' `fit`). Each step — forward, loss with regularization, gradients,
    /// clipping, optimizer, batch-norm moving statistics, constraints — is one compiled program.
    ///
    /// - Parameters:
    ///   - x: one sample per row; `y`: the labels (class indices in one column for sparse losses).
    ///   - validationData: evaluated after every epoch in inference mode (`val_…` logs).
    ///   - validationSplit: instead, hold out this last fraction of `x`/`y` (before shuffling), as Keras does.
    ///   - shuffle: reshuffle the training rows every epoch, with a generator seeded by `seed`
    ///     (the model's seed when nil), so a seeded run is reproducible.
    ///   - verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
    ///   - evaluateTrainingSet: also measure loss and metrics on the whole training set after each
    ///     epoch in inference mode (`end_of_epoch_…` logs), besides Keras' running means in training mode.
    ///   - dropRemainder: leave out the last batch of each epoch when it is smaller than `batchSize`
    ///     (tf.data's `drop_remainder`); by default it trains, and a last batch of one row trains
    ///     too — batch normalization then normalizes it to β, as Keras does.
    ///   - allowNonFiniteLoss: by default a batch whose loss is NaN or infinite stops `fit` with
    ///     `ModelError.nonFiniteLoss` (the epoch, the step, what to try); true trains on.
    /// - Returns: the `History` of every epoch's logs (also kept in `lastHistory`, so it survives a
    ///   thrown error such as `ModelError.nonFiniteLoss`).
    @discardableResult
    public func fit(x: Matrix, y: Matrix, batchSize: Int = 32, epochs: Int = 1, validationData: (x: Matrix, y: Matrix)? = nil,
                    validationSplit: Double = 0, shuffle: Bool = true, seed: UInt64? = nil, callbacks: [Callback] = [],
                    verbose: Int = 1, evaluateTrainingSet: Bool = true, allowNonFiniteLoss: Bool = false, dropRemainder: Bool = false) throws -> History {
        do {
            return try fitChecked(x: x, y: y, batchSize: batchSize, epochs: epochs, validationData: validationData, validationSplit: validationSplit,
                                  shuffle: shuffle, seed: seed, callbacks: callbacks, verbose: verbose, evaluateTrainingSet: evaluateTrainingSet,
                                  allowNonFiniteLoss: allowNonFiniteLoss, dropRemainder: dropRemainder)
        } catch let error as FitFailedBeforeTraining {
            // Callbacks hear of a fit that failed before training (bad data, say): a tracked run
            // is marked failed rather than left running.
            let training = Training(model: self, compiled: error.compiled, epochs: epochs, stepsPerEpoch: 0, trainingData: (x, y))
            for callback in callbacks { callback.onTrainError(error.underlying, training) }
            throw error.underlying
        }
    }

    /// An error found before the first epoch, with what the callbacks need to hear of it.
    private struct FitFailedBeforeTraining: Error {
        let underlying: Error
        let compiled: CompiledModel
    }

    private func fitChecked(x: Matrix, y: Matrix, batchSize: Int, epochs: Int, validationData: (x: Matrix, y: Matrix)?, validationSplit: Double,
                            shuffle: Bool, seed: UInt64?, callbacks: [Callback], verbose: Int, evaluateTrainingSet: Bool,
                            allowNonFiniteLoss: Bool, dropRemainder: Bool) throws -> History {
        if inputShape == nil { try build(inputShape: [x.columns]) }
        let compiled = try requireCompiled()
        do {
            try checkFitArguments(x: x, y: y, batchSize: batchSize, epochs: epochs, validationData: validationData,
                                  validationSplit: validationSplit, compiled: compiled)
            let trainingRows = x.rows - Int(Double(x.rows) * validationSplit)
            if dropRemainder && trainingRows < batchSize {
                throw ModelError.invalidConfiguration("dropRemainder with batch size \(batchSize) leaves no batch of the \(trainingRows) training rows; use a smaller batch size")
            }
        } catch {
            throw FitFailedBeforeTraining(underlying: error, compiled: compiled)
        }
        let options = FitOptions(batchSize: batchSize, epochs: epochs, shuffle: shuffle, seed: seed, verbose: verbose,
                                 evaluateTrainingSet: evaluateTrainingSet, allowNonFiniteLoss: allowNonFiniteLoss, dropRemainder: dropRemainder)
        return try train(x: x, y: y, validationData: validationData, validationSplit: validationSplit, callbacks: callbacks,
                         options: options, compiled: compiled)
    }

    /// The checks of `fit`'s arguments and data, before anything trains.
    func checkFitArguments(x: Matrix, y: Matrix, batchSize: Int, epochs: Int, validationData: (x: Matrix, y: Matrix)?,
                                   validationSplit: Double, compiled: CompiledModel) throws {
        guard batchSize > 0, epochs >= 0 else {
            throw ModelError.invalidConfiguration("fit needs a positive batch size and a non-negative number of epochs, got \(batchSize) and \(epochs)")
        }
        guard (0..<1).contains(validationSplit) else {
            throw ModelError.invalidConfiguration("validationSplit must be in [0, 1), got \(validationSplit)")
        }
        try checkData(x: x, y: y, compiled: compiled, role: "training")
        if validationSplit > 0 {
            let held = Int(Double(x.rows) * validationSplit)
            let kept = x.rows - held
            guard held > 0, kept > 0 else {
                throw ModelError.invalidConfiguration("validationSplit \(validationSplit) of \(x.rows) rows leaves \(kept) for training and \(held) for validation; both need at least one")
            }
        }
        if let validation = validationData { try checkData(x: validation.x, y: validation.y, compiled: compiled, role: "validation") }
    }

    /// The training loop of `fit`, its arguments checked: holds out the validation split, then runs a `FitLoop`.
    private func train(x: Matrix, y: Matrix, validationData: (x: Matrix, y: Matrix)?, validationSplit: Double,
                       callbacks: [Callback], options: FitOptions, compiled: CompiledModel) throws -> History {
        let (train, validation) = try Self.split(x: x, y: y, validationData: validationData, validationSplit: validationSplit)
        let loop = try FitLoop(members: [(self, compiled, callbacks, options.seed ?? seed)], session: compiled.session, train: train,
                               validation: validation, options: options)
        return try loop.run()[0].get()
    }

    /// The training data and the validation data: `validationData`, or the last `validationSplit`
    /// of the rows held out (before shuffling, as Keras does).
    static func split(x: Matrix, y: Matrix, validationData: (x: Matrix, y: Matrix)?, validationSplit: Double) throws
        -> (train: (x: Matrix, y: Matrix), validation: (x: Matrix, y: Matrix)?) {
        guard validationSplit > 0 else { return ((x, y), validationData) }
        let kept = x.rows - Int(Double(x.rows) * validationSplit)
        return ((try x.rows(0..<kept), try y.rows(0..<kept)), (try x.rows(kept..<x.rows), try y.rows(kept..<y.rows)))
    }

    /// Loss and metrics in inference mode (Keras' `evaluate`), averaged over all rows.
    public func evaluate(x: Matrix, y: Matrix, batchSize: Int = 32) throws -> Logs {
        let compiled = try requireCompiled(columns: x.columns)
        try checkData(x: x, y: y, compiled: compiled, role: "evaluation")
        var logs = Logs()
        for (key, value) in zip(["loss"] + compiled.metricKeys, try evaluated(x, y, compiled: compiled, batchSize: batchSize)) { logs[key] = value }
        return logs
    }

    /// The model's outputs for `x` in inference mode (Keras' `predict`), one row per sample. As in
    /// Keras, a model needs no `compile` to predict (weights set or loaded are used); a model
    /// without an input shape takes it from `x`.
    public func predict(x: Matrix, batchSize: Int = 256) throws -> Matrix {
        let compiled = try requireCompiledForPrediction(columns: x.columns)
        try checkInputs(x, role: "prediction")
        let columns = outputShape!.reduce(1, *)
        var out = [Float]()
        out.reserveCapacity(x.rows * columns)
        let executable = try engine { try compiled.prediction() }
        try forEachChunk(x.rows, batchSize) { start, end in
            try x.values.withUnsafeBufferPointer { xs in
                try executable.feed(compiled.x, UnsafeBufferPointer(rebasing: xs[(start * x.columns)..<(end * x.columns)]))
            }
            try engine { try executable.run() }
            try executable.withOutput(0) { (buffer: UnsafeBufferPointer<Float>, _) in out.append(contentsOf: buffer) }
        }
        return Matrix(uncheckedRows: x.rows, columns: columns, values: out)
    }

    /// `[loss] + metrics` over all rows, in inference mode (sample-weighted means, or the
    /// confusion metrics of the summed counts).
    func evaluated(_ x: Matrix, _ y: Matrix, compiled: CompiledModel, batchSize: Int = 1024) throws -> [Double] {
        let executable = try engine { try compiled.evaluation() }
        var totals = compiled.metricTotals()
        try forEachChunk(x.rows, batchSize) { start, end in
            try x.values.withUnsafeBufferPointer { xs in
                try executable.feed(compiled.x, UnsafeBufferPointer(rebasing: xs[(start * x.columns)..<(end * x.columns)]))
            }
            try y.values.withUnsafeBufferPointer { ys in
                try executable.feed(compiled.y, UnsafeBufferPointer(rebasing: ys[(start * y.columns)..<(end * y.columns)]))
            }
            try engine { try executable.run() }
            try totals.add(executable, rows: end - start)
        }
        return totals.values
    }

    private func forEachChunk(_ rows: Int, _ size: Int, _ body: (Int, Int) throws -> Void) throws {
        guard size > 0 else { throw ModelError.invalidConfiguration("batch size must be positive, got \(size)") }
        var start = 0
        while start < rows {
            let end = Swift.min(start + size, rows)
            try body(start, end)
            start = end
        }
    }

    func checkInputs(_ x: Matrix, role: String) throws {
        let features = inputShape?.reduce(1, *) ?? x.columns
        guard x.columns == features else {
            throw ModelError.shapeMismatch("the \(role) inputs have \(x.columns) columns but model \"\(name)\" takes \(features) features (input shape \(inputShape ?? []))")
        }
        guard x.rows > 0 else { throw ModelError.shapeMismatch("the \(role) inputs have no rows") }
        try Self.checkFinite(x, what: "\(role) inputs")
    }

    /// A NaN or infinity in data is an error naming its row and column (it would make every
    /// weight NaN after one step, silently).
    static func checkFinite(_ m: Matrix, what: String) throws {
        guard let index = m.values.firstIndex(where: { !$0.isFinite }) else { return }
        let value = m.values[index]
        throw ModelError.data("the \(what) hold \(value.isNaN ? "NaN" : String(value)) in row \(index / Swift.max(m.columns, 1)), column \(index % Swift.max(m.columns, 1)) (rows and columns from 0); drop or fill such rows before training")
    }

    func checkData(x: Matrix, y: Matrix, compiled: CompiledModel, role: String) throws {
        try checkInputs(x, role: role)
        guard x.rows == y.rows else {
            throw ModelError.shapeMismatch("the \(role) data has \(x.rows) input rows but \(y.rows) label rows")
        }
        try Self.checkFinite(y, what: "\(role) labels")
        let outputs = outputShape!.reduce(1, *)
        if compiled.loss.hasSparseLabels {
            guard y.columns == 1 else {
                throw ModelError.shapeMismatch("\(compiled.loss.kerasName) takes one column of class indices, the \(role) labels have \(y.columns) columns (use categorical_crossentropy for one-hot labels)")
            }
            for (row, label) in y.values.enumerated() where !(label >= 0 && label < Float(outputs) && label == label.rounded()) {
                throw ModelError.data("\(role) label \(label) in row \(row) is not a class index in 0..<\(outputs)")
            }
        } else {
            guard y.columns == outputs else {
                throw ModelError.shapeMismatch("the \(role) labels have \(y.columns) columns but the model outputs \(outputs) (last layer \"\(layers.last!.name)\"); one-hot encode class labels or change the last layer's units")
            }
        }
    }
}

extension Sequential {
    /// The gradients of the training loss on `x`, `y` (training mode: batch statistics; nothing
    /// is updated), by variable name — for all trainable variables or the named ones. This is what
    /// weight/gradient histograms are made of.
    public func gradients(x: Matrix, y: Matrix, variables: [String]? = nil) throws -> [String: [Float]] {
        let compiled = try requireCompiled(columns: x.columns)
        try checkData(x: x, y: y, compiled: compiled, role: "gradient")
        let names = variables ?? compiled.parameterNames.filter { compiled.gradients[$0] != nil }
        for name in names where compiled.gradients[name] == nil {
            throw ModelError.invalidConfiguration("\"\(name)\" is not a trainable variable of model \"\(self.name)\"; trainable: \(compiled.gradients.keys.sorted().joined(separator: ", "))")
        }
        return try engine { try compiled.gradientValues(x: x, y: y, variablesNamed: names) }
    }
}
