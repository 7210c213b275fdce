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
    /// Gradients of the loss for every trainable variable on the last batch of the latest epoch,
    /// by variable name — filled when a callback's `wantsBatchGradients` is true (the W&B
    /// `gradients/…` histograms are made from these).
    public internal(set) var lastBatchGradients: [String: [Float]] = [:]
    let compiled: CompiledModel

    init(model: Sequential, compiled: CompiledModel, epochs: Int, stepsPerEpoch: Int, trainingData: (x: Matrix, y: Matrix)) {
        self.model = model
        self.compiled = compiled
        self.epochs = epochs
        self.stepsPerEpoch = stepsPerEpoch
        self.trainingData = trainingData
    }

    /// Every layer weight's current values (`dense/kernel`, `batch_normalization/moving_mean` …),
    /// in layer order — the cheap read for logging them every epoch.
    public func parameterValues() throws -> [(name: String, values: [Float])] {
        try compiled.parameterValues()
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
}

extension Callback {
    public func onTrainBegin(_ training: Training) throws {}
    public func onEpochBegin(_ epoch: Int, _ training: Training) throws {}
    public func onBatchEnd(_ batch: Int, logs: Logs, _ training: Training) throws {}
    public func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {}
    public func onTrainEnd(_ training: Training) throws {}
    public func onTrainError(_ error: Error, _ training: Training) {}
    public var wantsBatchGradients: Bool { false }
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
