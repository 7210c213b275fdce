import Tracking

/// An ordered set of named parameters (Keras Tuner's declaration order; W&B's sorted names).
/// A configuration holds a value for every *active* parameter (one whose conditions hold) and
/// nothing for the inactive ones.
public struct SearchSpace: Sendable, CustomStringConvertible {
    public private(set) var parameters: [SearchParameter] = []

    public init() {}

    public init(_ parameters: [SearchParameter]) throws {
        for parameter in parameters { try add(parameter) }
    }

    /// Adds a parameter; a name may appear once, and a condition's parent must come before it.
    public mutating func add(_ parameter: SearchParameter) throws {
        guard !parameter.name.isEmpty else { throw TuningError.invalidParameter("a hyperparameter needs a name") }
        guard self[parameter.name] == nil else { throw TuningError.invalidParameter("\(parameter.name) is declared twice") }
        for condition in parameter.conditions {
            guard self[condition.parent] != nil else {
                throw TuningError.invalidParameter("\(parameter.name) depends on \(condition.parent), which is not declared before it; declare the parent first")
            }
            guard condition.parent != parameter.name else { throw TuningError.invalidParameter("\(parameter.name) cannot depend on itself") }
        }
        parameters.append(parameter)
    }

    public subscript(name: String) -> SearchParameter? { parameters.first { $0.name == name } }

    public var isEmpty: Bool { parameters.isEmpty }

    /// Whether `parameter` is active in `config` (which holds its parents' values): every
    /// condition holds, and its parents are active themselves.
    public func isActive(_ parameter: SearchParameter, in config: [String: ConfigValue]) -> Bool {
        parameter.conditions.allSatisfy { condition in
            condition.holds(in: config) && (self[condition.parent].map { isActive($0, in: config) } ?? false)
        }
    }

    /// A configuration: each active parameter, in order, takes the value at its quantile.
    public func configuration(_ quantile: (SearchParameter) -> Double) -> [String: ConfigValue] {
        var config: [String: ConfigValue] = [:]
        for parameter in parameters where isActive(parameter, in: config) {
            config[parameter.name] = parameter.distribution.value(at: quantile(parameter))
        }
        return config
    }

    /// The defaults of the active parameters.
    public var defaults: [String: ConfigValue] {
        var config: [String: ConfigValue] = [:]
        for parameter in parameters where isActive(parameter, in: config) { config[parameter.name] = parameter.distribution.defaultValue }
        return config
    }

    /// How many configurations a grid search enumerates (an error for continuous parameters).
    public func gridCount() throws -> Int {
        var count = 0
        try enumerateGrid(limit: Self.gridLimit) { _ in count += 1 }
        return count
    }

    /// The grid's configurations in order: the first parameter changes slowest, the last fastest;
    /// an inactive parameter takes no value and does not multiply the grid.
    public func grid() throws -> [[String: ConfigValue]] {
        var configs: [[String: ConfigValue]] = []
        try enumerateGrid(limit: Self.gridLimit) { configs.append($0) }
        return configs
    }

    /// The most configurations a grid may have.
    public static let gridLimit = 1_000_000

    private func enumerateGrid(limit: Int, _ visit: ([String: ConfigValue]) -> Void) throws {
        let values = try parameters.map { try $0.distribution.gridValues($0.name) }
        var seen = 0
        func walk(_ index: Int, _ config: [String: ConfigValue]) throws {
            guard index < parameters.count else {
                seen += 1
                guard seen <= limit else { throw TuningError.invalidSearch("the grid has more than \(limit) configurations; narrow the ranges or use random search") }
                visit(config)
                return
            }
            guard isActive(parameters[index], in: config) else { return try walk(index + 1, config) }
            for value in values[index] {
                var next = config
                next[parameters[index].name] = value
                try walk(index + 1, next)
            }
        }
        try walk(0, [:])
    }

    public var description: String { parameters.map(\.description).joined(separator: "\n") }
}

extension Dictionary where Key == String, Value == ConfigValue {
    /// Flat dotted keys (`optimizer.lr`) made into nested dictionaries (`optimizer: {lr: …}`), as
    /// W&B puts nested sweep parameters into a run's config.
    public func nested() -> [String: ConfigValue] {
        var result: [String: ConfigValue] = [:]
        for (key, value) in self {
            let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            result = Self.insert(value, at: parts[...], into: result)
        }
        return result
    }

    private static func insert(_ value: ConfigValue, at path: ArraySlice<String>, into dictionary: [String: ConfigValue]) -> [String: ConfigValue] {
        var dictionary = dictionary
        guard let first = path.first else { return dictionary }
        if path.count == 1 {
            dictionary[first] = value
        } else {
            var inner: [String: ConfigValue] = [:]
            if case .dictionary(let existing) = dictionary[first] { inner = existing }
            dictionary[first] = .dictionary(insert(value, at: path.dropFirst(), into: inner))
        }
        return dictionary
    }
}
