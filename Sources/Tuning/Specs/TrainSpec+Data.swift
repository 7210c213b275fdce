import Foundation
import Models
import Tracking

/// The data a spec trains on: training rows and, when given, validation rows.
public struct SpecData: Sendable {
    public var train: (x: Matrix, y: Matrix)
    public var validation: (x: Matrix, y: Matrix)?
}

/// What `fit:` asks for: epochs, batch size, shuffling, callbacks.
public struct FitOptions {
    public var epochs: Int
    public var batchSize: Int
    public var shuffle: Bool
    /// Keras' `validation_split` (the last fraction of the training rows validates), when the data
    /// section gives no validation rows.
    public var validationSplit: Double
    /// Fresh callbacks for one fit.
    public var callbacks: () throws -> [Callback]
}

extension TrainSpec {
    static let dataKeys = ["csv", "target", "train_rows", "validation_csv", "validation_split", "scaler", "one_hot"]

    /// Reads the data (`csv`, `target`, then `train_rows` or `validation_csv`; `scaler`
    /// standard or minmax fitted on the training rows; `one_hot` labels).
    public func data(_ config: RunConfig) throws -> SpecData {
        let a = try SpecArguments(data, config: config, known: Self.dataKeys)
        let path = try a.require("csv", a.string)
        let target = try a.string("target")
        var train = try read(path, target: target, at: a.node("csv") ?? data)
        var validation: Dataset?
        if let rows = try a.int("train_rows") {
            guard rows > 0, rows < train.count else {
                throw (a.node("train_rows") ?? data).error("train_rows must be between 1 and \(train.count - 1) (the file has \(train.count) rows), not \(rows)")
            }
            validation = try train.rows(rows..<train.count)
            train = try train.rows(0..<rows)
        }
        if let other = try a.string("validation_csv") {
            guard validation == nil else { throw data.error("give train_rows or validation_csv, not both") }
            validation = try read(other, target: target, at: a.node("validation_csv") ?? data)
        }
        if let classes = try a.bool("one_hot"), classes {
            let count = Int((train.y.values + (validation?.y.values ?? [])).max() ?? 0) + 1
            train.y = try oneHot(train.y, classes: count)
            if validation != nil { validation!.y = try oneHot(validation!.y, classes: count) }
        }
        switch try a.string("scaler") ?? "none" {
        case "none": break
        case "standard":
            let scaler = StandardScaler.fitted(to: train.x)
            train.x = try scaler.transform(train.x)
            if let v = validation { validation?.x = try scaler.transform(v.x) }
        case "minmax":
            var scaler = MinMaxScaler()
            scaler.fit(train.x)
            train.x = try scaler.transform(train.x)
            if let v = validation { validation?.x = try scaler.transform(v.x) }
        case let other: throw (a.node("scaler") ?? data).error("unknown scaler \(other); known: standard, minmax, none")
        }
        return SpecData(train: (train.x, train.y), validation: validation.map { ($0.x, $0.y) })
    }

    private func read(_ path: String, target: String?, at node: SpecNode) throws -> Dataset {
        let resolved = path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path)
        do {
            return try Dataset.csv(path: resolved, target: target)
        } catch let error as ModelError {
            throw node.error("\(error)")
        }
    }

    static let fitKeys = ["epochs", "batch_size", "shuffle", "validation_split", "callbacks"]

    /// The fit options of `config`.
    public func fitOptions(_ config: RunConfig) throws -> FitOptions {
        let a = try fit.map { try SpecArguments($0, config: config, known: Self.fitKeys) }
        let epochs = try a?.int("epochs") ?? 1, batchSize = try a?.int("batch_size") ?? 32
        guard epochs >= 0 else { throw (a?.node("epochs") ?? compile).error("epochs must be 0 or more, not \(epochs)") }
        guard batchSize > 0 else { throw (a?.node("batch_size") ?? compile).error("batch_size must be positive, not \(batchSize)") }
        let split = try a?.double("validation_split") ?? 0
        guard split >= 0, split < 1 else { throw (a?.node("validation_split") ?? compile).error("validation_split must be in [0, 1), not \(split)") }
        let entries = try a?.node("callbacks").map { try $0.list() } ?? []
        // Built once now to check them; again for every fit (callbacks keep state).
        let make = { try entries.compactMap { try Self.callback($0, config: config) } }
        _ = try make()
        return FitOptions(epochs: epochs, batchSize: batchSize, shuffle: try a?.bool("shuffle") ?? true, validationSplit: split, callbacks: make)
    }

    /// `- EarlyStopping: {monitor: val_loss, patience: 10}`, `- TerminateOnNaN`, `- ReduceLROnPlateau: {…}`.
    private static func callback(_ entry: SpecNode, config: RunConfig) throws -> Callback? {
        if case .scalar = entry.node, let name = entry.node.string {
            guard name == "TerminateOnNaN" else { throw entry.error("unknown callback \(name); known: EarlyStopping, ReduceLROnPlateau, TerminateOnNaN") }
            return TerminateOnNaN()
        }
        let pairs = try entry.mapping()
        guard pairs.count == 1, let (type, node) = pairs.first else { throw entry.error("each callback is one entry, such as `- EarlyStopping: {patience: 10}`") }
        switch type {
        case "EarlyStopping":
            let a = try SpecArguments(node, config: config, known: ["monitor", "min_delta", "patience", "mode", "baseline", "restore_best_weights", "start_from_epoch", "when"])
            guard try SpecArguments.when(a.node("when"), config: config) else { return nil }
            return EarlyStopping(monitor: try a.string("monitor") ?? "val_loss", minDelta: try a.double("min_delta") ?? 0, patience: try a.int("patience") ?? 0,
                                 mode: try mode(a), baseline: try a.double("baseline"), restoreBestWeights: try a.bool("restore_best_weights") ?? false,
                                 startFromEpoch: try a.int("start_from_epoch") ?? 0)
        case "ReduceLROnPlateau":
            let a = try SpecArguments(node, config: config, known: ["monitor", "factor", "patience", "min_delta", "cooldown", "min_lr", "mode", "when"])
            guard try SpecArguments.when(a.node("when"), config: config) else { return nil }
            return ReduceLROnPlateau(monitor: try a.string("monitor") ?? "val_loss", factor: try a.double("factor") ?? 0.1, patience: try a.int("patience") ?? 10,
                                     minDelta: try a.double("min_delta") ?? 1e-4, cooldown: try a.int("cooldown") ?? 0, minLearningRate: try a.double("min_lr") ?? 0,
                                     mode: try mode(a))
        case "TerminateOnNaN": return TerminateOnNaN()
        default: throw node.error("unknown callback \(type); known: EarlyStopping, ReduceLROnPlateau, TerminateOnNaN")
        }
    }

    private static func mode(_ a: SpecArguments) throws -> MonitorMode {
        guard let text = try a.string("mode") else { return .auto }
        guard let mode = MonitorMode(rawValue: text) else { throw (a.node("mode") ?? a.entry).error("mode is auto, min or max, not \(text)") }
        return mode
    }

    /// Trains `model` on `data` with the spec's fit options and `extra` callbacks; `verbose` 1
    /// prints Keras' progress.
    public func fit(_ model: Sequential, data: SpecData, config: RunConfig, callbacks extra: [Callback] = [], verbose: Int = 0) throws -> History {
        let options = try fitOptions(config)
        do {
            return try model.fit(x: data.train.x, y: data.train.y, batchSize: options.batchSize, epochs: options.epochs, validationData: data.validation,
                                 validationSplit: data.validation == nil ? options.validationSplit : 0, shuffle: options.shuffle,
                                 callbacks: try options.callbacks() + extra, verbose: verbose)
        } catch {
            throw explained(error)
        }
    }

    /// A training error in the spec's language: a diverged loss names the spec's remedies, not
    /// the Swift API's; other errors are unchanged.
    func explained(_ error: Error) -> Error {
        guard case ModelError.nonFiniteLoss(let epoch, let step, let value) = error else { return error }
        return TuningError.diverged("the loss became \(value) at epoch \(epoch + 1), step \(step + 1); training stopped there (in the spec: lower the optimizer's learning_rate, add clipnorm: 1 or clipvalue: 0.5 to it, or scale the data with scaler: standard)")
    }

    /// Whether runs log weight and gradient histograms (`tracking: {histograms: false}` turns them off).
    public func logsHistograms(_ config: RunConfig) throws -> Bool {
        guard let tracking else { return true }
        let a = try SpecArguments(tracking, config: config, known: ["histograms"])
        return try a.bool("histograms") ?? true
    }
}
