import Foundation
import Tracking

/// How a numeric hyperparameter spreads its values between `min` and `max`, as Keras Tuner
/// defines it for a quantile `p` ∈ [0, 1):
///
/// - `linear`: `min + p·(max − min)`;
/// - `log`: `min·(max/min)^p` — as many draws per decade (the deck's `lr = 10^(−4·rand)`);
/// - `reverseLog`: `max + min − min·(max/min)^(1−p)` — dense near `max`, for averaging
///   coefficients such as β = 0.9 … 0.999 (the deck's `β = 1 − 10^r`).
///
/// With a `step`, values lie on a grid: `min + i·step` (linear), `min·step^i` (log: the step is a
/// factor > 1), `max + min − min·step^i` (reverse log), and `p` picks the grid point
/// `⌊p·n⌋` of the `n` points.
public enum Sampling: String, Sendable, CaseIterable {
    case linear
    case log
    case reverseLog = "reverse_log"
}

/// The numeric part Keras Tuner's `Int` and `Float` share.
struct NumericRange: Sendable {
    var min: Double
    var max: Double
    var step: Double?
    var sampling: Sampling

    func validate(_ name: String) throws {
        guard min.isFinite, max.isFinite else { throw TuningError.invalidParameter("\(name): min and max must be finite numbers, not \(min) and \(max)") }
        guard min <= max else { throw TuningError.invalidParameter("\(name): min \(min) is greater than max \(max); swap them") }
        if sampling != .linear && min <= 0 {
            throw TuningError.invalidParameter("\(name): \(sampling.rawValue) sampling needs min > 0 (log of \(min) is undefined); use a positive min or linear sampling")
        }
        if let step {
            guard step.isFinite, step > 0 else { throw TuningError.invalidParameter("\(name): step must be positive, not \(step)") }
            if sampling != .linear && step <= 1 {
                throw TuningError.invalidParameter("\(name): with \(sampling.rawValue) sampling the step is a factor (min·step^i) and must be > 1, not \(step)")
            }
        }
    }

    /// The continuous value at `p`, over `[min, top]` (`top` is `max + 1` for an Int without a step).
    func continuous(_ p: Double, top: Double) -> Double {
        switch sampling {
        case .linear: return p * (top - min) + min
        case .log: return min * pow(top / min, p)
        case .reverseLog: return top + min - min * pow(top / min, 1 - p)
        }
    }

    /// Where a continuous value lies (the inverse of `continuous`), clamped to [0, 1].
    func position(of value: Double, top: Double) -> Double {
        guard top > min else { return 0.5 }
        let p: Double
        switch sampling {
        case .linear: p = (value - min) / (top - min)
        case .log: p = Foundation.log(value / min) / Foundation.log(top / min)
        case .reverseLog: p = 1 - Foundation.log((top + min - value) / min) / Foundation.log(top / min)
        }
        return Swift.min(Swift.max(p, 0), 1)
    }

    /// The number of grid points with a step (max included when it is on the grid, within
    /// rounding: Keras Tuner 1.4's float floor division drops it for `0…1` step `0.2`).
    func gridCount(step: Double) -> Int {
        let count: Double
        switch sampling {
        case .linear: count = ((max - min) / step + 1e-9).rounded(.down) + 1
        case .log, .reverseLog: count = (Foundation.log(max / min) / Foundation.log(step) + 1e-8).rounded(.down) + 1
        }
        return Int(Swift.min(Swift.max(count, 1), 1e9))
    }

    func gridValue(_ index: Int, step: Double) -> Double {
        switch sampling {
        case .linear: return min + Double(index) * step
        case .log: return min * pow(step, Double(index))
        case .reverseLog: return max + min - min * pow(step, Double(index))
        }
    }

    /// Keras Tuner's `prob_to_index`: `⌊p / (1/n)⌋`, at most `n − 1`.
    static func index(_ p: Double, count: Int) -> Int {
        let index = Int((p / (1 / Double(count))).rounded(.down))
        return Swift.max(0, Swift.min(index, count - 1))
    }

    /// The centre of bucket `index` of `count` (Keras Tuner's `index_to_prob`).
    static func centre(_ index: Int, count: Int) -> Double { (Double(index) + 0.5) / Double(count) }
}

/// Keras Tuner's `hp.Int`: integers from `min` to `max` (both included), `step` 1 by default with
/// linear sampling; without a step, log and reverse-log sampling draw over `[min, max + 1)` and
/// truncate. The default is `min` unless given.
public struct IntHyperparameter: Distribution {
    public let min: Int
    public let max: Int
    public let step: Int?
    public let sampling: Sampling
    public let defaultValue: ConfigValue

    public init(name: String, min: Int, max: Int, step: Int? = nil, sampling: Sampling = .linear, default value: Int? = nil) throws {
        self.min = min
        self.max = max
        self.step = step ?? (sampling == .linear ? 1 : nil)
        self.sampling = sampling
        try NumericRange(min: Double(min), max: Double(max), step: self.step.map(Double.init), sampling: sampling).validate(name)
        if let value, !(min...max).contains(value) {
            throw TuningError.invalidParameter("\(name): default \(value) is outside \(min)…\(max)")
        }
        defaultValue = .int(value ?? min)
    }

    var range: NumericRange { NumericRange(min: Double(min), max: Double(max), step: step.map(Double.init), sampling: sampling) }

    public func value(at u: Double) -> ConfigValue {
        guard let step else { return .int(clamped(range.continuous(u, top: Double(max) + 1))) }
        let count = range.gridCount(step: Double(step))
        return .int(clamped(range.gridValue(NumericRange.index(u, count: count), step: Double(step))))
    }

    private func clamped(_ value: Double) -> Int { Int(Swift.min(Swift.max(value.rounded(.towardZero), Double(min)), Double(max))) }

    public func gridValues(_ name: String) throws -> [ConfigValue] {
        let values: [ConfigValue]
        if let step {
            let count = range.gridCount(step: Double(step))
            guard count <= 100_000 else { throw TuningError.invalidSearch("\(name) has \(count) grid values; give a larger step") }
            values = (0..<count).map { .int(clamped(range.gridValue($0, step: Double(step)))) }
        } else {
            values = (0..<10).map { value(at: NumericRange.centre($0, count: 10)) }
        }
        return withDefaultFirst(values, defaultValue)
    }

    public func quantile(of value: ConfigValue) -> Double? {
        guard let v = value.number else { return nil }
        guard let step else { return range.position(of: v + 0.5, top: Double(max) + 1) }
        let count = range.gridCount(step: Double(step))
        let index = (0..<count).min { abs(range.gridValue($0, step: Double(step)) - v) < abs(range.gridValue($1, step: Double(step)) - v) } ?? 0
        return NumericRange.centre(index, count: count)
    }

    public var description: String {
        "Int(min \(min), max \(max)\(step.map { ", step \($0)" } ?? ""), sampling \(sampling.rawValue), default \(defaultValue))"
    }
}

/// Keras Tuner's `hp.Float`: real numbers from `min` to `max`, continuous without a step, on a
/// grid with one. The default is `min` unless given.
public struct FloatHyperparameter: Distribution {
    public let min: Double
    public let max: Double
    public let step: Double?
    public let sampling: Sampling
    public let defaultValue: ConfigValue

    public init(name: String, min: Double, max: Double, step: Double? = nil, sampling: Sampling = .linear, default value: Double? = nil) throws {
        self.min = min
        self.max = max
        self.step = step
        self.sampling = sampling
        try NumericRange(min: min, max: max, step: step, sampling: sampling).validate(name)
        if let value, !(min...max).contains(value) {
            throw TuningError.invalidParameter("\(name): default \(value) is outside \(min)…\(max)")
        }
        defaultValue = .double(value ?? min)
    }

    var range: NumericRange { NumericRange(min: min, max: max, step: step, sampling: sampling) }

    public func value(at u: Double) -> ConfigValue {
        guard let step else { return .double(Swift.min(range.continuous(u, top: max), max)) }
        return .double(range.gridValue(NumericRange.index(u, count: range.gridCount(step: step)), step: step))
    }

    /// With a step, the grid points; without, the centres of ten equal-probability buckets
    /// (Keras Tuner's choice; it leaves them in hash order, here they are in order).
    public func gridValues(_ name: String) throws -> [ConfigValue] {
        let values: [ConfigValue]
        if let step {
            let count = range.gridCount(step: step)
            guard count <= 100_000 else { throw TuningError.invalidSearch("\(name) has \(count) grid values; give a larger step") }
            values = (0..<count).map { .double(range.gridValue($0, step: step)) }
        } else {
            values = (0..<10).map { value(at: NumericRange.centre($0, count: 10)) }
        }
        return withDefaultFirst(values, defaultValue)
    }

    public func quantile(of value: ConfigValue) -> Double? {
        guard let v = value.number else { return nil }
        guard let step else { return range.position(of: v, top: max) }
        let count = range.gridCount(step: step)
        let index = (0..<count).min { abs(range.gridValue($0, step: step) - v) < abs(range.gridValue($1, step: step) - v) } ?? 0
        return NumericRange.centre(index, count: count)
    }

    public var description: String {
        "Float(min \(min), max \(max)\(step.map { ", step \($0)" } ?? ""), sampling \(sampling.rawValue), default \(defaultValue))"
    }
}

/// Keras Tuner's `hp.Choice`: one of `values` (all numbers, all strings or all booleans), each
/// drawn with equal probability; the default is the first unless given.
public struct ChoiceHyperparameter: Distribution {
    public let values: [ConfigValue]
    public let defaultValue: ConfigValue
    /// Whether the values are ordered numbers (Keras Tuner's `ordered`, true for numbers).
    public let ordered: Bool

    public init(name: String, values: [ConfigValue], default value: ConfigValue? = nil) throws {
        guard !values.isEmpty else { throw TuningError.invalidParameter("\(name): a choice needs at least one value") }
        let kinds = Set(values.map(\.kindName))
        guard kinds.count == 1 || kinds == ["int", "float"] else {
            throw TuningError.invalidParameter("\(name): the values of a choice must be all numbers, all strings or all booleans, not \(kinds.sorted().joined(separator: " and "))")
        }
        if let value, !values.contains(where: { $0.matches(value) }) {
            throw TuningError.invalidParameter("\(name): default \(value) is not one of the values [\(values.map(\.description).joined(separator: ", "))]")
        }
        self.values = values
        defaultValue = value ?? values[0]
        ordered = values.allSatisfy { $0.number != nil && !$0.isBool }
    }

    public func value(at u: Double) -> ConfigValue { values[NumericRange.index(u, count: values.count)] }

    public var isCategorical: Bool { true }

    public func gridValues(_ name: String) throws -> [ConfigValue] { withDefaultFirst(values, defaultValue) }

    public func quantile(of value: ConfigValue) -> Double? {
        values.firstIndex { $0.matches(value) }.map { NumericRange.centre($0, count: values.count) }
    }

    public var description: String { "Choice([\(values.map(\.description).joined(separator: ", "))], default \(defaultValue))" }
}

/// Keras Tuner's `hp.Boolean`: true when the quantile is at least 0.5; the default is false.
public struct BooleanHyperparameter: Distribution {
    public let defaultValue: ConfigValue

    public init(default value: Bool = false) { defaultValue = .bool(value) }

    public func value(at u: Double) -> ConfigValue { .bool(u >= 0.5) }

    public var isCategorical: Bool { true }
    public func gridValues(_ name: String) throws -> [ConfigValue] { withDefaultFirst([.bool(false), .bool(true)], defaultValue) }
    public func quantile(of value: ConfigValue) -> Double? {
        guard case .bool(let b) = value else { return nil }
        return b ? 0.75 : 0.25
    }
    public var description: String { "Boolean(default \(defaultValue))" }
}

/// Keras Tuner's `hp.Fixed` (W&B's `value`): always `value`.
public struct FixedHyperparameter: Distribution {
    public let value: ConfigValue

    public init(_ value: ConfigValue) { self.value = value }

    public var defaultValue: ConfigValue { value }
    public func value(at u: Double) -> ConfigValue { value }
    public func gridValues(_ name: String) throws -> [ConfigValue] { [value] }
    public func quantile(of value: ConfigValue) -> Double? { value.matches(self.value) ? 0.5 : nil }
    public var description: String { "Fixed(\(value))" }
}

/// `values` with `first` moved to the front (Keras Tuner's grid tries the default first).
func withDefaultFirst(_ values: [ConfigValue], _ first: ConfigValue) -> [ConfigValue] {
    var unique: [ConfigValue] = []
    for v in values where !unique.contains(where: { $0.matches(v) && $0.kindName == v.kindName }) { unique.append(v) }
    guard let index = unique.firstIndex(where: { $0.matches(first) }) else { return unique }
    let value = unique.remove(at: index)
    return [value] + unique
}

extension ConfigValue {
    var kindName: String {
        switch self {
        case .int: return "int"
        case .double: return "float"
        case .string: return "string"
        case .bool: return "bool"
        case .list: return "list"
        case .dictionary: return "dictionary"
        }
    }

    var isBool: Bool {
        if case .bool = self { return true }
        return false
    }
}
