import Runtime

/// What `fit` was asked besides the data and callbacks.
struct FitOptions {
    var batchSize: Int
    var epochs: Int
    var shuffle: Bool
    var seed: UInt64?
    var verbose: Int
    var evaluateTrainingSet: Bool
    var allowNonFiniteLoss: Bool
    var dropRemainder: Bool
}

/// One `fit` over checked data: the epoch loop, the batch loop and the callbacks around them.
/// Every buffer is made once here, so a batch allocates nothing.
final class FitLoop {
    private let model: Sequential
    private let compiled: CompiledModel
    private let options: FitOptions
    private let train: (x: Matrix, y: Matrix)
    private let validation: (x: Matrix, y: Matrix)?
    private let training: Training
    private let callbacks: [Callback]
    /// `loss` then the metric keys, in fetch order.
    private let keys: [String]
    private let steps: Int
    private let plainStep: Executable
    /// A callback that wants gradients gets them from a second compiled step that also fetches
    /// them, run for each epoch's last batch only (fetching keeps gradient buffers alive, so the
    /// plain step stays the fast one for every other batch).
    private let gradientStep: Executable?
    private let gradientNames: [String]
    private let schedule: LearningRate
    private var random: SeededRandom
    private var order: [Int]
    /// The batch's rows, gathered in this epoch's order (raw buffers: no exclusivity checks per batch).
    private let xBatch: UnsafeMutableBufferPointer<Float>
    private let yBatch: UnsafeMutableBufferPointer<Float>
    /// One `Logs` reused for every batch: its keys are set, not reallocated.
    private var batchLogs = Logs()

    init(model: Sequential, compiled: CompiledModel, train: (x: Matrix, y: Matrix), validation: (x: Matrix, y: Matrix)?,
         callbacks: [Callback], options: FitOptions) throws {
        self.model = model
        self.compiled = compiled
        self.options = options
        self.train = train
        self.validation = validation
        let rows = train.x.rows
        // The last, smaller batch trains too (Keras), unless dropRemainder (tf.data's drop_remainder).
        steps = options.dropRemainder ? rows / options.batchSize : (rows + options.batchSize - 1) / options.batchSize
        training = Training(model: model, compiled: compiled, epochs: options.epochs, stepsPerEpoch: steps, trainingData: train)
        self.callbacks = callbacks + (options.verbose > 0 ? [ProgressLogger(verbose: options.verbose)] : [])
        keys = ["loss"] + compiled.metricKeys
        plainStep = try engine { try compiled.trainStep() }
        if self.callbacks.contains(where: \.wantsBatchGradients) {
            let made = try engine { try compiled.trainStepWithGradients() }
            (gradientStep, gradientNames) = (made.executable, made.names)
        } else {
            (gradientStep, gradientNames) = (nil, [])
        }
        random = SeededRandom(seed: options.seed ?? model.seed)
        order = Array(0..<rows)
        schedule = compiled.optimizer.learningRate
        xBatch = .allocate(capacity: Swift.max(1, options.batchSize * train.x.columns))
        yBatch = .allocate(capacity: Swift.max(1, options.batchSize * train.y.columns))
    }

    deinit {
        xBatch.deallocate()
        yBatch.deallocate()
    }

    /// Trains; callbacks hear of an error (`onTrainError`) before it is thrown. The history so far
    /// is kept in the model's `lastHistory` either way.
    func run() throws -> History {
        model.lastHistory = History()
        do {
            for callback in callbacks { try callback.onTrainBegin(training) }
            var totals = compiled.metricTotals()
            for epoch in 0..<options.epochs {
                try runEpoch(epoch, &totals)
                if training.stopTraining { break }
            }
            for callback in callbacks { try callback.onTrainEnd(training) }
        } catch {
            model.lastHistory = training.history
            for callback in callbacks { callback.onTrainError(error, training) }
            throw error
        }
        training.history.stopReason = training.stopReason
        model.lastHistory = training.history
        return training.history
    }

    private func runEpoch(_ epoch: Int, _ totals: inout MetricTotals) throws {
        training.epoch = epoch
        // An epoch stopped before its last batch has no last-batch gradients of its own.
        training.lastBatchGradientFetches = nil
        if options.shuffle {
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
        }
        for callback in callbacks { try callback.onEpochBegin(epoch, training) }
        totals.reset()
        for batch in 0..<steps {
            try runBatch(batch, epoch: epoch, &totals)
            if training.stopTraining { break }
        }
        let logs = try epochLogs(totals)
        training.history.append(epoch: epoch, logs)
        model.lastHistory = training.history
        for callback in callbacks { try callback.onEpochEnd(epoch, logs: logs, training) }
        model.lastHistory = training.history
    }

    private func runBatch(_ batch: Int, epoch: Int, _ totals: inout MetricTotals) throws {
        let start = batch * options.batchSize, count = Swift.min(options.batchSize, order.count - start)
        let lastWithGradients = gradientStep != nil && batch == steps - 1
        let step = lastWithGradients ? gradientStep ?? plainStep : plainStep
        try feedBatch(start: start, count: count, into: step)
        if schedule.isScheduled {
            try compiled.session.setScalar(schedule.value(atStep: training.step), of: compiled.learningRate)
        }
        try engine { try step.run() }
        let loss = try step.scalar(0)
        if !loss.isFinite && !options.allowNonFiniteLoss {
            // A diverging loss would make every weight NaN: stop, and say where.
            training.stopTraining = true
            training.stopReason = "the loss became \(formatLogValue(loss)) at epoch \(epoch + 1), step \(batch + 1)"
            throw ModelError.nonFiniteLoss(epoch: epoch, step: batch, value: loss)
        }
        try totals.add(step, rows: count)
        if lastWithGradients {
            // Read in place by callbacks until the next epoch's last batch.
            training.lastBatchGradientFetches = .init(step: step, offset: totals.fetchCount, names: gradientNames)
        }
        training.step += 1
        guard !callbacks.isEmpty else { return }
        for (k, key) in keys.enumerated() { batchLogs[key] = totals.value(k) }
        for callback in callbacks { try callback.onBatchEnd(batch, logs: batchLogs, training) }
    }

    /// Copies the batch's rows (in this epoch's order) into the batch buffers and feeds them.
    private func feedBatch(start: Int, count: Int, into step: Executable) throws {
        let xColumns = train.x.columns, yColumns = train.y.columns
        let (xb, yb) = (xBatch, yBatch)
        try order.withUnsafeBufferPointer { order in
            try train.x.values.withUnsafeBufferPointer { xs in
                try train.y.values.withUnsafeBufferPointer { ys in
                    guard let xTo = xb.baseAddress, let yTo = yb.baseAddress, let xFrom = xs.baseAddress, let yFrom = ys.baseAddress else { return }
                    for r in 0..<count {
                        let source = order[start + r]
                        (xTo + r * xColumns).update(from: xFrom + source * xColumns, count: xColumns)
                        (yTo + r * yColumns).update(from: yFrom + source * yColumns, count: yColumns)
                    }
                    try step.feed(compiled.x, UnsafeBufferPointer(rebasing: xb[0..<(count * xColumns)]))
                    try step.feed(compiled.y, UnsafeBufferPointer(rebasing: yb[0..<(count * yColumns)]))
                }
            }
        }
    }

    /// Keras' running means of the epoch, then (in inference mode) the whole training set's
    /// `end_of_epoch_…` and the validation set's `val_…`, and the learning rate.
    private func epochLogs(_ totals: MetricTotals) throws -> Logs {
        var logs = Logs()
        for (k, key) in keys.enumerated() { logs[key] = totals.value(k) }
        if options.evaluateTrainingSet {
            for (key, value) in zip(keys, try model.evaluated(train.x, train.y, compiled: compiled)) { logs["end_of_epoch_\(key)"] = value }
        }
        if let validation {
            for (key, value) in zip(keys, try model.evaluated(validation.x, validation.y, compiled: compiled)) { logs["val_\(key)"] = value }
        }
        logs["learning_rate"] = training.learningRate
        return logs
    }
}
