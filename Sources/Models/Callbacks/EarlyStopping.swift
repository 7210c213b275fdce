/// Stops training when a monitored quantity has stopped improving (Keras' `EarlyStopping`).
///
/// An epoch improves when the value beats the best so far by more than `minDelta` (in the right
/// direction). After `patience` epochs without improvement (counting from `startFromEpoch`),
/// training stops. With `restoreBestWeights`, the weights of the best epoch are put back when
/// training ends. With a `baseline`, the value must first beat it.
public final class EarlyStopping: Callback {
    public var readsModelAtBatchEnd: Bool { false }
    public let monitor: String
    public let minDelta: Double
    public let patience: Int
    public let mode: MonitorMode
    public let baseline: Double?
    public let restoreBestWeights: Bool
    public let startFromEpoch: Int
    /// The best value and its epoch.
    public private(set) var best: Double = .nan
    public private(set) var bestEpoch: Int?
    /// The epoch training stopped after, if it did.
    public private(set) var stoppedEpoch: Int?
    private var wait = 0
    private var bestWeights: [String: [Float]]?

    public init(monitor: String = "val_loss", minDelta: Double = 0, patience: Int = 0, mode: MonitorMode = .auto,
                baseline: Double? = nil, restoreBestWeights: Bool = false, startFromEpoch: Int = 0) {
        self.monitor = monitor
        self.minDelta = Swift.abs(minDelta)
        self.patience = patience
        self.mode = mode
        self.baseline = baseline
        self.restoreBestWeights = restoreBestWeights
        self.startFromEpoch = startFromEpoch
    }

    private func improves(_ value: Double, on reference: Double) -> Bool {
        guard !reference.isNaN else { return true }
        return mode.isMinimizing(monitor) ? value < reference - minDelta : value > reference + minDelta
    }

    public func onTrainBegin(_ training: Training) throws {
        wait = 0
        best = .nan
        bestEpoch = nil
        stoppedEpoch = nil
        bestWeights = nil
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {
        let value = try monitoredValue(monitor, in: logs, by: "EarlyStopping")
        guard epoch >= startFromEpoch else { return }
        wait += 1
        if improves(value, on: best) {
            best = value
            bestEpoch = epoch
            if restoreBestWeights { bestWeights = try training.model.weights() }
            // With a baseline, only improving on it resets the wait.
            if baseline == nil || improves(value, on: baseline!) { wait = 0 }
        }
        if wait >= patience && epoch > 0 {
            stoppedEpoch = epoch
            training.stopTraining = true
            training.stopReason = "early stopping: \(monitor) did not improve for \(patience) epoch(s) after epoch \((bestEpoch ?? epoch) + 1) (best \(formatLogValue(best)))"
        }
    }

    public func onTrainEnd(_ training: Training) throws {
        if restoreBestWeights, let bestWeights { try training.model.setWeights(bestWeights) }
    }
}
