import Foundation

/// Saves the weights (safetensors) after an epoch: every epoch, or only when the monitored
/// quantity improved (`saveBestOnly`, Keras' `ModelCheckpoint`). `{epoch}` in the path is replaced
/// by the 1-based epoch number.
public final class ModelCheckpoint: Callback {
    public var readsModelAtBatchEnd: Bool { false }
    public let path: String
    public let monitor: String
    public let saveBestOnly: Bool
    public let mode: MonitorMode
    public private(set) var best: Double = .nan
    /// Paths written so far.
    public private(set) var saved: [String] = []

    public init(path: String, monitor: String = "val_loss", saveBestOnly: Bool = false, mode: MonitorMode = .auto) {
        self.path = path
        self.monitor = monitor
        self.saveBestOnly = saveBestOnly
        self.mode = mode
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {
        let target = path.replacingOccurrences(of: "{epoch}", with: String(epoch + 1))
        if saveBestOnly {
            let value = try monitoredValue(monitor, in: logs, by: "ModelCheckpoint")
            let better = best.isNaN || (mode.isMinimizing(monitor) ? value < best : value > best)
            guard better else { return }
            best = value
        }
        try training.model.saveWeights(to: target)
        saved.append(target)
    }
}

/// Sets the learning rate at the start of each epoch to `schedule(epoch, currentRate)`
/// (Keras' `LearningRateScheduler`; epochs count from 0).
public final class LearningRateScheduler: Callback {
    public var readsModelAtBatchEnd: Bool { false }
    public let schedule: @Sendable (Int, Double) -> Double

    public init(_ schedule: @escaping @Sendable (_ epoch: Int, _ learningRate: Double) -> Double) {
        self.schedule = schedule
    }

    public func onEpochBegin(_ epoch: Int, _ training: Training) throws {
        try training.setLearningRate(schedule(epoch, training.learningRate))
    }
}

/// Multiplies the learning rate by `factor` when the monitored quantity has not improved by
/// `minDelta` for `patience` epochs, then waits `cooldown` epochs; never below `minLearningRate`
/// (Keras' `ReduceLROnPlateau`).
public final class ReduceLROnPlateau: Callback {
    public var readsModelAtBatchEnd: Bool { false }
    public let monitor: String
    public let factor: Double
    public let patience: Int
    public let minDelta: Double
    public let cooldown: Int
    public let minLearningRate: Double
    public let mode: MonitorMode
    private var best = Double.nan
    private var wait = 0
    private var cooldownCounter = 0
    /// Epochs at which the rate was reduced, with the new rate.
    public private(set) var reductions: [(epoch: Int, learningRate: Double)] = []

    public init(monitor: String = "val_loss", factor: Double = 0.1, patience: Int = 10, minDelta: Double = 1e-4,
                cooldown: Int = 0, minLearningRate: Double = 0, mode: MonitorMode = .auto) {
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.minDelta = minDelta
        self.cooldown = cooldown
        self.minLearningRate = minLearningRate
        self.mode = mode
    }

    public func onTrainBegin(_ training: Training) throws {
        guard factor < 1, factor >= 0 else {
            throw ModelError.invalidConfiguration("ReduceLROnPlateau needs a factor in [0, 1), got \(factor)")
        }
        best = .nan
        wait = 0
        cooldownCounter = 0
        reductions = []
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {
        let value = try monitoredValue(monitor, in: logs, by: "ReduceLROnPlateau")
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            wait = 0
        }
        let improved = best.isNaN || (mode.isMinimizing(monitor) ? value < best - minDelta : value > best + minDelta)
        if improved {
            best = value
            wait = 0
        } else if cooldownCounter <= 0 {
            wait += 1
            if wait >= patience {
                let current = training.learningRate
                if current > minLearningRate {
                    let reduced = Swift.max(current * factor, minLearningRate)
                    try training.setLearningRate(reduced)
                    reductions.append((epoch, reduced))
                    cooldownCounter = cooldown
                    wait = 0
                }
            }
        }
    }
}

/// Stops training at the first batch whose loss is NaN or infinite, recording why in the
/// `History`'s `stopReason`. By default it then throws `ModelError.nonFiniteLoss` naming the epoch
/// and step (the `History` up to the previous epoch is kept on the model, `lastHistory`): Keras'
/// `TerminateOnNaN`, but never silent. With `throwing: false` `fit` returns normally, the
/// diverged epoch's logs included — for experiments where diverging is a result (give `fit`
/// `allowNonFiniteLoss: true` too).
public final class TerminateOnNaN: Callback {
    public var readsModelAtBatchEnd: Bool { false }
    public let throwing: Bool
    /// Why it stopped training (nil until it does).
    public private(set) var reason: String?

    public init(throwing: Bool = true) { self.throwing = throwing }

    public func onBatchEnd(_ batch: Int, logs: Logs, _ training: Training) throws {
        guard reason == nil, let loss = logs["loss"], !loss.isFinite else { return }
        let reason = "the loss became \(loss) at epoch \(training.epoch + 1), step \(batch + 1)"
        self.reason = reason
        training.stopTraining = true
        training.stopReason = reason
        if throwing { throw ModelError.nonFiniteLoss(epoch: training.epoch, step: batch, value: loss) }
    }
}

/// Writes one CSV row per epoch — `epoch` (from 0) then the logs in alphabetical order, `NA` where
/// a value is missing, under a header — and flushes it at once, so nothing logged is lost if the
/// process dies (Keras' `CSVLogger`).
public final class CSVLogger: Callback {
    public var readsModelAtBatchEnd: Bool { false }
    public let path: String
    public let separator: String
    public let append: Bool
    private var handle: FileHandle?
    private var columns: [String] = []

    public init(path: String, separator: String = ",", append: Bool = false) {
        self.path = path
        self.separator = separator
        self.append = append
    }

    public func onTrainBegin(_ training: Training) throws {
        let exists = FileManager.default.fileExists(atPath: path)
        if !append || !exists {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ModelError.data("CSVLogger cannot create \(path)")
            }
            columns = []
        } else if let text = try? String(contentsOfFile: path, encoding: .utf8), let header = text.split(separator: "\n").first {
            let fields: [String] = String(header).components(separatedBy: separator)
            columns = Array(fields.dropFirst())
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle?.seekToEnd()
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {
        guard let handle else { return }
        var text = ""
        if columns.isEmpty {
            columns = logs.keys.sorted()
            text += (["epoch"] + columns).joined(separator: separator) + "\n"
        }
        text += ([String(epoch)] + columns.map { logs[$0].map { String($0) } ?? "NA" }).joined(separator: separator) + "\n"
        try handle.write(contentsOf: Data(text.utf8))
        try handle.synchronize()
    }

    public func onTrainEnd(_ training: Training) throws {
        try handle?.close()
        handle = nil
    }
}
