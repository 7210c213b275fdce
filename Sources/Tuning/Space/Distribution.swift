import Tracking

/// What a search-space parameter draws from: Keras Tuner's hyperparameter types and W&B's sweep
/// distributions both conform. A value is `value(at: u)` for a uniform `u` in [0, 1) (the
/// distribution's quantile function), so a sampler only chooses `u`s.
public protocol Distribution: Sendable, CustomStringConvertible {
    /// The value at quantile `u` ∈ [0, 1).
    func value(at u: Double) -> ConfigValue
    /// The values a grid search tries, in order; an error for continuous distributions.
    func gridValues(_ name: String) throws -> [ConfigValue]
    /// The value when nothing else is chosen (Keras Tuner's `default`; W&B has none: the median).
    var defaultValue: ConfigValue { get }
    /// Where `value` lies as a quantile (the inverse of `value(at:)`), for samplers that model
    /// the unit cube; nil when it is not a value of the distribution.
    func quantile(of value: ConfigValue) -> Double?
    /// True for an unordered set of choices (a categorical kernel suits it, not a distance).
    var isCategorical: Bool { get }
}

extension Distribution {
    public var isCategorical: Bool { false }
}

/// A condition on a parent parameter: active only while the parent is active and has one of
/// `values` (Keras Tuner's `parent_name` / `parent_values`, `conditional_scope`).
public struct Condition: Sendable, Equatable, CustomStringConvertible {
    public var parent: String
    public var values: [ConfigValue]

    public init(parent: String, values: [ConfigValue]) {
        self.parent = parent
        self.values = values
    }

    /// Whether the parent's value in `config` is one of `values` (numbers compare by value, as
    /// Python's `in` does: 1 == 1.0).
    public func holds(in config: [String: ConfigValue]) -> Bool {
        guard let value = config[parent] else { return false }
        return values.contains { $0.matches(value) }
    }

    public var description: String { "\(parent) in [\(values.map(\.description).joined(separator: ", "))]" }
}

/// A named parameter of a search space, with the conditions under which it is active.
public struct SearchParameter: Sendable, CustomStringConvertible {
    public var name: String
    public var distribution: any Distribution
    public var conditions: [Condition]

    public init(name: String, distribution: any Distribution, conditions: [Condition] = []) {
        self.name = name
        self.distribution = distribution
        self.conditions = conditions
    }

    public var description: String {
        "\(name): \(distribution)" + (conditions.isEmpty ? "" : " if " + conditions.map(\.description).joined(separator: " and "))
    }
}

extension ConfigValue {
    /// Equality as Python's `==` sees it: numbers by value (1 == 1.0 == true), the rest exactly.
    func matches(_ other: ConfigValue) -> Bool {
        if let a = number, let b = other.number, !isString, !other.isString { return a == b }
        return self == other
    }

    var isString: Bool {
        if case .string = self { return true }
        return false
    }
}
