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

/// One model a `FitLoop` trains: trial `trial` of the loop's session, with its own batch order,
/// callbacks, running metrics and history.
final class FitMember {
    let model: Sequential
    let compiled: CompiledModel
    let trial: Int
    let training: Training
    let callbacks: [Callback]
    let schedule: LearningRate
    var random: SeededRandom
    var order: [Int]
    var totals: MetricTotals
    /// One `Logs` reused for every batch: its keys are set, not reallocated.
    var batchLogs = Logs()
    /// Still training (not finished, stopped or failed).
    var active = true
    /// Set when the epoch's batches are over for this member (it stopped before the last one).
    var epochCut = false
    var outcome: Result<History, Error>?
    /// Some callback reads or changes the model at batch end (see `Callback.readsModelAtBatchEnd`).
    let readsModelAtBatchEnd: Bool
    /// The member's trial linked with its own session, when they differ (made on first use).
    var link: VariableLink?

    init(model: Sequential, compiled: CompiledModel, trial: Int, training: Training, callbacks: [Callback], seed: UInt64, rows: Int) {
        self.model = model
        self.compiled = compiled
        self.trial = trial
        self.training = training
        self.callbacks = callbacks
        schedule = compiled.optimizer.learningRate
        random = SeededRandom(seed: seed)
        order = Array(0..<rows)
        totals = compiled.metricTotals()
        readsModelAtBatchEnd = callbacks.contains(where: \.readsModelAtBatchEnd)
    }
}

/// One `fit` over checked data: the epoch loop, the batch loop and the callbacks around them, for
/// one model or for several trained together as the trials of one session (vectorized trials:
/// one program runs every member's step). Each member's arithmetic, batch order and callbacks are
/// exactly those of its `fit` alone. Every buffer is made once here, so a batch allocates nothing.
final class FitLoop {
    private let members: [FitMember]
    private let session: Session
    private let options: FitOptions
    private let train: (x: Matrix, y: Matrix)
    private let validation: (x: Matrix, y: Matrix)?
    /// `loss` then the metric keys, in fetch order.
    private let keys: [String]
    private let steps: Int
    private let plainStep: Executable
    /// A callback that wants gradients gets them from a second compiled step that also fetches
    /// them, run for each epoch's last batch only (fetching keeps gradient buffers alive, so the
    /// plain step stays the fast one for every other batch).
    private let gradientStep: Executable?
    private let gradientNames: [String]
    private let evaluation: Executable
    /// The first member's compiled model, whose graph the session runs: its node ids address
    /// the session's placeholders and variables for every trial.
    private let ids: CompiledModel
    /// The batch's rows, gathered in a member's order (raw buffers: no exclusivity checks per batch).
    private let xBatch: UnsafeMutableBufferPointer<Float>
    private let yBatch: UnsafeMutableBufferPointer<Float>

    /// `members` are (model, its compiled model, its callbacks, its seed); with more than one,
    /// `session` runs one trial per member (their weights copied in from their own sessions).
    init(members specs: [(model: Sequential, compiled: CompiledModel, callbacks: [Callback], seed: UInt64)], session: Session,
         train: (x: Matrix, y: Matrix), validation: (x: Matrix, y: Matrix)?, options: FitOptions) throws {
        self.session = session
        self.options = options
        self.train = train
        self.validation = validation
        let rows = train.x.rows
        // The last, smaller batch trains too (Keras), unless dropRemainder (tf.data's drop_remainder).
        let steps = options.dropRemainder ? rows / options.batchSize : (rows + options.batchSize - 1) / options.batchSize
        self.steps = steps
        members = specs.enumerated().map { trial, spec in
            let training = Training(model: spec.model, compiled: spec.compiled, epochs: options.epochs, stepsPerEpoch: steps, trainingData: train)
            let callbacks = spec.callbacks + (options.verbose > 0 ? [ProgressLogger(verbose: options.verbose)] : [])
            return FitMember(model: spec.model, compiled: spec.compiled, trial: trial, training: training, callbacks: callbacks, seed: spec.seed, rows: rows)
        }
        let first = specs[0].compiled
        ids = first
        keys = ["loss"] + first.metricKeys
        let wantsGradients = members.contains { $0.callbacks.contains(where: \.wantsBatchGradients) }
        let made = try engine { try first.fitExecutables(in: session, withGradients: wantsGradients) }
        (plainStep, evaluation) = (made.train, made.evaluation)
        (gradientStep, gradientNames) = (made.withGradients?.executable, made.withGradients?.names ?? [])
        xBatch = .allocate(capacity: Swift.max(1, options.batchSize * train.x.columns))
        yBatch = .allocate(capacity: Swift.max(1, options.batchSize * train.y.columns))
        if members.count > 1 {
            for member in members { try link(member)?.push() }
        }
    }

    deinit {
        xBatch.deallocate()
        yBatch.deallocate()
    }

    /// Trains every member; each member's callbacks hear of its error (`onTrainError`), which
    /// ends that member only. The history so far is kept in each model's `lastHistory` either way.
    func run() -> [Result<History, Error>] {
        for member in members {
            member.model.lastHistory = History()
            attempt(member) { for callback in member.callbacks { try callback.onTrainBegin(member.training) } }
        }
        for epoch in 0..<options.epochs where members.contains(where: \.active) {
            do {
                try runEpoch(epoch)
            } catch {
                // The step itself failed: every member still training fails with it.
                for member in members where member.active { fail(member, error) }
            }
        }
        for member in members where member.active { finish(member) }
        return members.map { $0.outcome ?? .success($0.training.history) }
    }

    private var active: [FitMember] { members.filter(\.active) }

    private func runEpoch(_ epoch: Int) throws {
        for member in active {
            member.training.epoch = epoch
            // An epoch stopped before its last batch has no last-batch gradients of its own.
            member.training.lastBatchGradientFetches = nil
            member.epochCut = false
            if options.shuffle {
                for i in stride(from: member.order.count - 1, to: 0, by: -1) {
                    member.order.swapAt(i, Int(member.random.next() % UInt64(i + 1)))
                }
            }
            attempt(member) { for callback in member.callbacks { try callback.onEpochBegin(epoch, member.training) } }
            member.totals.reset()
        }
        // The members in this epoch's batches (rebuilt only when one leaves: no allocation per batch).
        var running = active
        for batch in 0..<steps {
            if running.isEmpty { break }
            try runBatch(batch, epoch: epoch, running)
            guard batch < steps - 1, running.contains(where: { !$0.active || $0.training.stopTraining }) else { continue }
            // A member that stopped mid-epoch ends its epoch now, with its weights of now.
            let cut = running.filter { $0.active && $0.training.stopTraining }
            cut.forEach { $0.epochCut = true }
            try endEpoch(epoch, cut, outOfBand: cut.count != active.count)
            running = active.filter { !$0.epochCut }
        }
        try endEpoch(epoch, active.filter { !$0.epochCut }, outOfBand: false)
    }

    private func runBatch(_ batch: Int, epoch: Int, _ running: [FitMember]) throws {
        let start = batch * options.batchSize, count = Swift.min(options.batchSize, train.x.rows - start)
        let lastWithGradients = gradientStep != nil && batch == steps - 1
        let step = lastWithGradients ? gradientStep ?? plainStep : plainStep
        // Every trial is fed (one that has stopped trains on unread, so the others run unchanged).
        for member in members {
            try feedBatch(start: start, count: count, order: member.order, trial: member.trial, into: step)
            if member.active && member.schedule.isScheduled {
                try session.setScalar(member.schedule.value(atStep: member.training.step), of: ids.learningRate, trial: member.trial)
            }
        }
        try engine { try step.run() }
        for member in running where member.active {
            attempt(member) { try afterBatch(member, batch: batch, epoch: epoch, rows: count, step: step, lastWithGradients: lastWithGradients) }
        }
    }

    private func afterBatch(_ member: FitMember, batch: Int, epoch: Int, rows: Int, step: Executable, lastWithGradients: Bool) throws {
        let training = member.training
        let loss = try step.scalar(0, trial: member.trial)
        if !loss.isFinite && !options.allowNonFiniteLoss {
            // A diverging loss would make every weight NaN: stop, and say where.
            training.stopTraining = true
            training.stopReason = "the loss became \(formatLogValue(loss)) at epoch \(epoch + 1), step \(batch + 1)"
            throw ModelError.nonFiniteLoss(epoch: epoch, step: batch, value: loss)
        }
        try member.totals.add(step, rows: rows, trial: member.trial)
        if lastWithGradients {
            // Read in place by callbacks until the next epoch's last batch.
            training.lastBatchGradientFetches = .init(step: step, offset: member.totals.fetchCount, names: gradientNames, trial: member.trial)
        }
        training.step += 1
        guard !member.callbacks.isEmpty else { return }
        for (k, key) in keys.enumerated() { member.batchLogs[key] = member.totals.value(k) }
        if member.readsModelAtBatchEnd {
            try withModelWeights(member) {
                for callback in member.callbacks { try callback.onBatchEnd(batch, logs: member.batchLogs, training) }
            }
        } else {
            for callback in member.callbacks { try callback.onBatchEnd(batch, logs: member.batchLogs, training) }
        }
    }

    /// Copies the batch's rows (in `order`) into the batch buffers and feeds them to `trial`.
    private func feedBatch(start: Int, count: Int, order: [Int], trial: Int, into step: Executable) throws {
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
                    try step.feed(ids.x, UnsafeBufferPointer(rebasing: xb[0..<(count * xColumns)]), trial: trial)
                    try step.feed(ids.y, UnsafeBufferPointer(rebasing: yb[0..<(count * yColumns)]), trial: trial)
                }
            }
        }
    }

    /// The end of an epoch for `ending`: Keras' running means, then (in inference mode) the whole
    /// training set's `end_of_epoch_…` and the validation set's `val_…`, the learning rate, the
    /// history and the epoch-end callbacks. An evaluation `outOfBand` (for members that stopped
    /// mid-epoch while others train on) leaves the session's step counter as it was, so the
    /// others' dropout masks stay those of their runs alone.
    private func endEpoch(_ epoch: Int, _ ending: [FitMember], outOfBand: Bool) throws {
        guard !ending.isEmpty else { return }
        let savedStep = session.step
        var logs = ending.map { member in
            var logs = Logs()
            for (k, key) in keys.enumerated() { logs[key] = member.totals.value(k) }
            return logs
        }
        if options.evaluateTrainingSet {
            let values = try evaluated(train.x, train.y)
            for (i, member) in ending.enumerated() { for (key, value) in zip(keys, values[member.trial]) { logs[i]["end_of_epoch_\(key)"] = value } }
        }
        if let validation {
            let values = try evaluated(validation.x, validation.y)
            for (i, member) in ending.enumerated() { for (key, value) in zip(keys, values[member.trial]) { logs[i]["val_\(key)"] = value } }
        }
        if outOfBand { session.step = savedStep }
        for (member, var memberLogs) in zip(ending, logs) where member.active {
            attempt(member) {
                try withModelWeights(member) {
                    memberLogs["learning_rate"] = member.training.learningRate
                    member.training.history.append(epoch: epoch, memberLogs)
                    member.model.lastHistory = member.training.history
                    for callback in member.callbacks { try callback.onEpochEnd(epoch, logs: memberLogs, member.training) }
                }
            }
            member.model.lastHistory = member.training.history
            if member.active && member.training.stopTraining { finish(member) }
        }
    }

    /// `[loss] + metrics` of every trial over all rows, in inference mode (as `Sequential.evaluated`).
    private func evaluated(_ x: Matrix, _ y: Matrix, batchSize: Int = 1024) throws -> [[Double]] {
        var totals = members.map { $0.compiled.metricTotals() }
        var start = 0
        while start < x.rows {
            let end = Swift.min(start + batchSize, x.rows)
            for member in members {
                try x.values.withUnsafeBufferPointer { xs in
                    try evaluation.feed(ids.x, UnsafeBufferPointer(rebasing: xs[(start * x.columns)..<(end * x.columns)]), trial: member.trial)
                }
                try y.values.withUnsafeBufferPointer { ys in
                    try evaluation.feed(ids.y, UnsafeBufferPointer(rebasing: ys[(start * y.columns)..<(end * y.columns)]), trial: member.trial)
                }
            }
            try engine { try evaluation.run() }
            for member in members { try totals[member.trial].add(evaluation, rows: end - start, trial: member.trial) }
            start = end
        }
        return totals.map(\.values)
    }

    /// Runs `body` (callbacks) with the member's own session holding its current weights, and takes
    /// back whatever the callbacks set there (weights, learning rate) — for a member trained with
    /// others; alone, its session is the loop's and nothing is copied.
    private func withModelWeights(_ member: FitMember, _ body: () throws -> Void) throws {
        guard let link = try link(member) else { return try body() }
        link.pull()
        defer { link.push() }
        try body()
    }

    /// The member's trial linked with its own session (nil when they are one: a model alone).
    private func link(_ member: FitMember) throws -> VariableLink? {
        guard member.compiled.session !== session else { return nil }
        if let link = member.link { return link }
        let link = try engine { try VariableLink(session, trial: member.trial, with: member.compiled.session, trial: 0) }
        member.link = link
        return link
    }

    /// Runs `body` for `member`; an error ends that member (and only it).
    private func attempt(_ member: FitMember, _ body: () throws -> Void) {
        guard member.active else { return }
        do { try body() } catch { fail(member, error) }
    }

    /// Ends a member normally: its final weights into its own session, `onTrainEnd`, its history.
    private func finish(_ member: FitMember) {
        guard member.active else { return }
        do {
            try link(member)?.pull()
            for callback in member.callbacks { try callback.onTrainEnd(member.training) }
        } catch {
            return fail(member, error)
        }
        member.active = false
        member.training.history.stopReason = member.training.stopReason
        member.model.lastHistory = member.training.history
        member.outcome = .success(member.training.history)
    }

    /// Ends a member with an error: its weights (as they were when it failed) into its own
    /// session, its callbacks told, its history so far kept.
    private func fail(_ member: FitMember, _ error: Error) {
        member.active = false
        (try? link(member))??.pull()
        member.model.lastHistory = member.training.history
        for callback in member.callbacks { callback.onTrainError(error, member.training) }
        member.outcome = .failure(error)
    }
}
