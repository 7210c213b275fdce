import Runtime

/// The state of a running `fit` that callbacks see and steer.
public final class Training {
    public let model: Sequential
    public let epochs: Int
    public let stepsPerEpoch: Int
    /// The epoch being trained (from 0).
    public internal(set) var epoch = 0
    /// Steps taken since `fit` began.
    public internal(set) var step = 0
    /// Set to stop after the current batch (or epoch).
    public var stopTraining = false
    /// Why training stopped early, recorded in the `History`.
    public var stopReason: String?
    /// The logs of every finished epoch.
    public internal(set) var history = History()
    /// The data `fit` trains on (after any validation split).
    public let trainingData: (x: Matrix, y: Matrix)
    /// Where the gradients of the latest epoch's last batch are: the fetches of the training step
    /// that computed them, from `offset` on, one per name (set by `fit` when a callback's
    /// `wantsBatchGradients` is true, once that step has run).
    struct GradientFetches {
        let step: Executable
        let offset: Int
        let names: [String]
        /// The model's trial in `step` (0 unless trained with others: `Sequential.fitTogether`).
        var trial = 0
    }
    var lastBatchGradientFetches: GradientFetches?

    /// Names of the trainable variables whose gradient on the latest epoch's last batch can be
    /// read, in layer order — empty until that step has run, and unless a callback's
    /// `wantsBatchGradients` is true (the W&B `gradients/…` histograms are made from these).
    public var lastBatchGradientNames: [String] { lastBatchGradientFetches?.names ?? [] }

    /// Calls `body` with the gradient of the loss for `lastBatchGradientNames[index]` on the latest
    /// epoch's last batch, read in place (no copy; valid only inside `body`).
    public func withLastBatchGradient<R>(_ index: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard let fetches = lastBatchGradientFetches, fetches.names.indices.contains(index) else {
            throw ModelError.notReady("no last-batch gradient \(index): \(lastBatchGradientNames.count) are available; a callback must return true from wantsBatchGradients, and they are read after the epoch's last batch")
        }
        return try fetches.step.withOutput(fetches.offset + index, trial: fetches.trial) { (buffer: UnsafeBufferPointer<Float>, _) in try body(buffer) }
    }

    /// Calls `body(index, gradient)` for every name of `lastBatchGradientNames` in order, the
    /// gradient read in place (valid only inside `body`) — the cheap way to read them all.
    public func withLastBatchGradients(_ body: (Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        guard let fetches = lastBatchGradientFetches else { return }
        try fetches.step.withOutputs(fetches.offset..<(fetches.offset + fetches.names.count), trial: fetches.trial) { try body($0 - fetches.offset, $1) }
    }

    /// Gradients of the loss for every trainable variable on the last batch of the latest epoch,
    /// by variable name (copies; see `withLastBatchGradient` to read them in place).
    public var lastBatchGradients: [String: [Float]] {
        var result: [String: [Float]] = [:]
        for (index, name) in lastBatchGradientNames.enumerated() {
            result[name] = try? withLastBatchGradient(index) { Array($0) }
        }
        return result
    }

    let compiled: CompiledModel

    init(model: Sequential, compiled: CompiledModel, epochs: Int, stepsPerEpoch: Int, trainingData: (x: Matrix, y: Matrix)) {
        self.model = model
        self.compiled = compiled
        self.epochs = epochs
        self.stepsPerEpoch = stepsPerEpoch
        self.trainingData = trainingData
    }

    /// Every layer weight's current values (`dense/kernel`, `batch_normalization/moving_mean` …),
    /// in layer order (copies).
    public func parameterValues() throws -> [(name: String, values: [Float])] {
        try compiled.parameterViews().map { ($0.name, $0.view.copiedFloats) }
    }

    /// Every layer weight in layer order, as views read in place — the cheap way to log them every
    /// epoch (`view.withFloats { values in … }`).
    public func parameterViews() throws -> [(name: String, view: VariableView)] {
        try compiled.parameterViews()
    }

    /// The learning rate the next step uses. Setting it fails when the optimizer follows a schedule.
    public var learningRate: Double {
        get { (try? compiled.session.scalar(of: compiled.learningRate)) ?? .nan }
    }

    /// Sets the learning rate of the next steps (as Keras' `optimizer.learning_rate = …`).
    public func setLearningRate(_ value: Double) throws {
        guard !compiled.optimizer.learningRate.isScheduled else {
            throw ModelError.invalidConfiguration("the optimizer follows a learning-rate schedule (\(compiled.optimizer.learningRate)); a callback cannot also set the rate")
        }
        guard value >= 0, value.isFinite else { throw ModelError.invalidConfiguration("learning rate must be a non-negative number, got \(value)") }
        try compiled.session.setScalar(value, of: compiled.learningRate)
    }
}

/// Hooks into `fit`, in the order Keras calls them. Every method has an empty default.
public protocol Callback: AnyObject {
    func onTrainBegin(_ training: Training) throws
    func onEpochBegin(_ epoch: Int, _ training: Training) throws
    /// After each batch; `logs` hold the running means of the epoch so far.
    func onBatchEnd(_ batch: Int, logs: Logs, _ training: Training) throws
    /// After each epoch's evaluation; `logs` are what the `History` records.
    func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws
    func onTrainEnd(_ training: Training) throws
    /// When `fit` stops with an error (a NaN loss, a failing kernel, a callback's error), before it
    /// is rethrown.
    func onTrainError(_ error: Error, _ training: Training)
    /// True to have `Training.lastBatchGradients` filled at the last batch of every epoch.
    var wantsBatchGradients: Bool { get }
    /// Whether `onBatchEnd` reads or changes the model (weights, learning rate). A model trained
    /// with others (`Sequential.fitTogether`) has its weights copied into its own session around
    /// the batch callbacks only when one of them says so; true by default (always correct),
    /// false for callbacks that only look at the logs.
    var readsModelAtBatchEnd: Bool { get }
}

extension Callback {
    public func onTrainBegin(_ training: Training) throws {}
    public func onEpochBegin(_ epoch: Int, _ training: Training) throws {}
    public func onBatchEnd(_ batch: Int, logs: Logs, _ training: Training) throws {}
    public func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {}
    public func onTrainEnd(_ training: Training) throws {}
    public func onTrainError(_ error: Error, _ training: Training) {}
    public var wantsBatchGradients: Bool { false }
    public var readsModelAtBatchEnd: Bool { true }
}

/// Whether a monitored quantity should go down or up.
public enum MonitorMode: String, Sendable {
    /// Down for names containing "loss" (or `mse`, `mae`, error), up otherwise (Keras' `auto`).
    case auto
    case min
    case max

    func isMinimizing(_ monitor: String) -> Bool {
        switch self {
        case .min: return true
        case .max: return false
        case .auto:
            let lowered = monitor.lowercased()
            return !(lowered.contains("acc") || lowered.hasPrefix("fmeasure") || lowered.contains("auc"))
        }
    }
}

/// A value of `logs` a callback needs; a clear error when the key is missing.
func monitoredValue(_ monitor: String, in logs: Logs, by callback: String) throws -> Double {
    guard let value = logs[monitor] else {
        throw ModelError.invalidConfiguration("\(callback) monitors \"\(monitor)\", but the logs only have \(logs.keys.joined(separator: ", ")); pass validation data for val_ metrics or pick one of these")
    }
    return value
}
