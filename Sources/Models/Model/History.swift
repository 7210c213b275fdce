/// Named values of one epoch or batch, in a stable order (`loss`, metrics, `end_of_epoch_…`,
/// `val_…`, `learning_rate`).
public struct Logs: Sendable, Equatable, Sequence {
    // A handful of keys: parallel arrays and a linear search beat hashing (`fit` sets the batch
    // logs after every step).
    public private(set) var keys: [String] = []
    /// `values[i]` is the value of `keys[i]`.
    public private(set) var values: [Double] = []

    public init() {}

    public subscript(key: String) -> Double? {
        get { keys.firstIndex(of: key).map { values[$0] } }
        set {
            if let index = keys.firstIndex(of: key) {
                if let newValue {
                    values[index] = newValue
                } else {
                    keys.remove(at: index)
                    values.remove(at: index)
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    public struct Iterator: IteratorProtocol {
        fileprivate let logs: Logs
        fileprivate var index = 0

        public mutating func next() -> (key: String, value: Double)? {
            guard index < logs.keys.count else { return nil }
            defer { index += 1 }
            return (logs.keys[index], logs.values[index])
        }
    }

    public func makeIterator() -> Iterator { Iterator(logs: self) }

    /// `key: value` pairs joined Keras-style (`loss: 0.6931 - accuracy: 0.5000`).
    public func formatted(separator: String = " - ") -> String {
        zip(keys, values).map { "\($0): \(formatLogValue($1))" }.joined(separator: separator)
    }
}

func formatLogValue(_ value: Double) -> String {
    // printf writes a NaN with its sign bit set as "-nan": a NaN has no sign worth showing.
    if value.isNaN { return "nan" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    if value != 0, Swift.abs(value) < 1e-3 { return String(format: "%.4e", value) }
    return String(format: "%.4f", value)
}

/// What `fit` returns: the logs of every epoch (Keras' `History.history`), plus why training stopped.
///
/// Keys: `loss` and each metric (e.g. `accuracy`) are the running means over the epoch's batches
/// in *training mode* — what Keras prints. `end_of_epoch_loss` and `end_of_epoch_accuracy` are the
/// same measured on the whole training set after the epoch in *inference mode* (moving batch-norm
/// statistics, no dropout). `val_…` are on the validation data (inference mode);
/// `learning_rate` is the rate the epoch ended with.
public struct History: Sendable {
    public private(set) var epochs: [Int] = []
    public private(set) var keys: [String] = []
    private var values: [String: [Double]] = [:]
    /// Set when training stopped before the last epoch (early stopping, NaN loss …).
    public var stopReason: String?

    public init() {}

    /// The value of `key` for every epoch so far. A key never logged is an error naming the keys
    /// there are (as Keras' `history.history[key]` raises a KeyError), not an empty list that
    /// reads like "no epochs"; `values(of:)` asks without throwing.
    public subscript(key: String) -> [Double] {
        get throws {
            guard let found = values[key] else {
                throw ModelError.data("the history has no \"\(key)\"; it has \(keys.isEmpty ? "none (no epoch ended)" : keys.joined(separator: ", "))")
            }
            return found
        }
    }

    /// The value of `key` for every epoch so far, or nil when it was never logged.
    public func values(of key: String) -> [Double]? { values[key] }

    mutating func append(epoch: Int, _ logs: Logs) {
        epochs.append(epoch)
        for (key, value) in logs {
            if values[key] == nil {
                keys.append(key)
                values[key] = [Double](repeating: .nan, count: epochs.count - 1)
            }
            values[key]!.append(value)
        }
        for key in keys where values[key]!.count < epochs.count { values[key]!.append(.nan) }
    }
}

import Foundation
