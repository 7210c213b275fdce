import Tracking
import Models

/// A value a hyperparameter can take in Swift: `Int`, `Double`, `String`, `Bool`.
public protocol HyperparameterValue: Sendable {
    var configValue: ConfigValue { get }
    init?(configValue: ConfigValue)
}

extension Int: HyperparameterValue {
    public var configValue: ConfigValue { .int(self) }
    public init?(configValue: ConfigValue) {
        switch configValue {
        case .int(let v): self = v
        case .double(let v) where v == v.rounded() && v.magnitude < 9e18: self = Int(v)
        default: return nil
        }
    }
}

extension Double: HyperparameterValue {
    public var configValue: ConfigValue { .double(self) }
    public init?(configValue: ConfigValue) {
        switch configValue {
        case .int(let v): self = Double(v)
        case .double(let v): self = v
        default: return nil
        }
    }
}

extension String: HyperparameterValue {
    public var configValue: ConfigValue { .string(self) }
    public init?(configValue: ConfigValue) {
        guard case .string(let v) = configValue else { return nil }
        self = v
    }
}

extension Bool: HyperparameterValue {
    public var configValue: ConfigValue { .bool(self) }
    public init?(configValue: ConfigValue) {
        guard case .bool(let v) = configValue else { return nil }
        self = v
    }
}

/// The `hp` a model-building closure receives, Keras Tuner's `HyperParameters`: each call declares
/// a hyperparameter (the first time) and returns its value in the current trial.
///
/// ```swift
/// let units = try hp.int("units", min: 32, max: 512, step: 32)
/// let lr = try hp.choice("learning_rate", [1e-2, 1e-3, 1e-4])
/// let beta = try hp.float("beta_1", min: 0.9, max: 0.999, sampling: .reverseLog)
/// let dropout = try hp.float("dropout", min: 0, max: 0.5, parentName: "use_dropout", parentValues: [true])
/// ```
///
/// A hyperparameter with `parentName`/`parentValues` (or declared inside `conditionalScope`) is
/// active only while its parent has one of those values; an inactive one returns its default and
/// is absent from the trial's configuration (`values`).
public final class HyperParameters {
    /// Every hyperparameter declared so far, in declaration order.
    public private(set) var space: SearchSpace
    /// The active hyperparameters' values in this trial.
    public private(set) var values: [String: ConfigValue] = [:]
    /// The trial's values for known hyperparameters (from the sampler); others take their default.
    private let assigned: [String: ConfigValue]
    private var scopes: [Condition] = []

    /// A `hp` for a trial: `assigned` values for the hyperparameters the sampler knew about.
    public init(space: SearchSpace = SearchSpace(), assigned: [String: ConfigValue] = [:]) {
        self.space = space
        self.assigned = assigned
    }

    /// `hp.Int`: an integer in `min…max` (see `IntHyperparameter`).
    public func int(_ name: String, min: Int, max: Int, step: Int? = nil, sampling: Sampling = .linear, default value: Int? = nil,
                    parentName: String? = nil, parentValues: [ConfigValue]? = nil) throws -> Int {
        let distribution = try IntHyperparameter(name: name, min: min, max: max, step: step, sampling: sampling, default: value)
        return try declare(name, distribution, parentName, parentValues, as: Int.self)
    }

    /// `hp.Float`: a real number in `min…max` (see `FloatHyperparameter`).
    public func float(_ name: String, min: Double, max: Double, step: Double? = nil, sampling: Sampling = .linear, default value: Double? = nil,
                      parentName: String? = nil, parentValues: [ConfigValue]? = nil) throws -> Double {
        let distribution = try FloatHyperparameter(name: name, min: min, max: max, step: step, sampling: sampling, default: value)
        return try declare(name, distribution, parentName, parentValues, as: Double.self)
    }

    /// `hp.Choice`: one of `values` (numbers, strings or booleans).
    public func choice<T: HyperparameterValue>(_ name: String, _ values: [T], default value: T? = nil,
                                               parentName: String? = nil, parentValues: [ConfigValue]? = nil) throws -> T {
        let distribution = try ChoiceHyperparameter(name: name, values: values.map(\.configValue), default: value?.configValue)
        return try declare(name, distribution, parentName, parentValues, as: T.self)
    }

    /// `hp.Boolean`: true or false (default false).
    public func boolean(_ name: String, default value: Bool = false, parentName: String? = nil, parentValues: [ConfigValue]? = nil) throws -> Bool {
        try declare(name, BooleanHyperparameter(default: value), parentName, parentValues, as: Bool.self)
    }

    /// `hp.Fixed`: always `value` (recorded in the trial's configuration).
    public func fixed<T: HyperparameterValue>(_ name: String, _ value: T, parentName: String? = nil, parentValues: [ConfigValue]? = nil) throws -> T {
        try declare(name, FixedHyperparameter(value.configValue), parentName, parentValues, as: T.self)
    }

    /// Keras Tuner's `conditional_scope`: the hyperparameters declared in `body` are active only
    /// while `parent` has one of `values`. Scopes nest (their conditions all apply).
    public func conditionalScope<R>(_ parent: String, _ values: [ConfigValue], _ body: () throws -> R) throws -> R {
        guard space[parent] != nil else {
            throw TuningError.invalidParameter("conditional scope on \(parent), which is not declared yet; declare it before the scope")
        }
        scopes.append(Condition(parent: parent, values: values))
        defer { scopes.removeLast() }
        return try body()
    }

    /// The hyperparameters of a finished trial: `values` as they were (what `bestHyperparameters`
    /// returns).
    public init(space: SearchSpace, values: [String: ConfigValue]) {
        self.space = space
        self.assigned = values
        self.values = values
    }

    /// The value of a declared hyperparameter in this trial; an error when it is unknown or inactive.
    public func get(_ name: String) throws -> ConfigValue {
        guard let parameter = space[name] else { throw TuningError.invalidParameter("\(name) is not declared") }
        guard let value = values[name] else {
            throw TuningError.invalidParameter("\(name) is inactive in this trial (\(parameter.conditions.map(\.description).joined(separator: " and ")) does not hold)")
        }
        return value
    }

    private func declare<T: HyperparameterValue>(_ name: String, _ distribution: any Distribution, _ parentName: String?, _ parentValues: [ConfigValue]?,
                                                 as type: T.Type) throws -> T {
        var conditions = scopes
        switch (parentName, parentValues) {
        case let (parent?, values?): conditions.append(Condition(parent: parent, values: values))
        case (nil, nil): break
        default: throw TuningError.invalidParameter("\(name): give both parentName and parentValues, or neither")
        }
        let parameter: SearchParameter
        if let known = space[name] {
            guard known.distribution.description == distribution.description, known.conditions == conditions else {
                throw TuningError.invalidParameter("\(name) is declared again with another definition (\(distribution) instead of \(known.distribution)); give each hyperparameter one definition")
            }
            parameter = known
        } else {
            parameter = SearchParameter(name: name, distribution: distribution, conditions: conditions)
            try space.add(parameter)
        }
        let fallback = parameter.distribution.defaultValue
        guard space.isActive(parameter, in: values) else { return try convert(fallback, name) }
        let value = assigned[name] ?? fallback
        values[name] = value
        return try convert(value, name)
    }

    private func convert<T: HyperparameterValue>(_ value: ConfigValue, _ name: String) throws -> T {
        guard let converted = T(configValue: value) else {
            throw TuningError.invalidParameter("\(name) has the value \(value), which is not a \(T.self)")
        }
        return converted
    }
}

/// A learning rate is a hyperparameter value too, so that
/// `Adam(learningRate: try hp.choice("learning_rate", [1e-2, 1e-3, 1e-4]))` reads as in Keras
/// (a constant rate; schedules are not hyperparameter values).
extension LearningRate: HyperparameterValue {
    public var configValue: ConfigValue {
        if case .constant(let rate) = self { return .double(rate) }
        return .string("\(self)")
    }

    public init?(configValue: ConfigValue) {
        guard let rate = Double(configValue: configValue) else { return nil }
        self = .constant(rate)
    }
}
