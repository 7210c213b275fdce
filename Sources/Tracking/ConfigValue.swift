import Foundation

/// A run's configuration value: numbers, strings, booleans, lists and nested dictionaries
/// (W&B's `config`). Literals work: `["layer_1": 50, "optimizer": ["name": "sgd", "lr": 0.01]]`.
public enum ConfigValue: Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
    case list([ConfigValue])
    case dictionary([String: ConfigValue])

    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: ConfigValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, ConfigValue)...) {
        self = .dictionary(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([ConfigValue].self) { self = .list(v) }
        else { self = .dictionary(try c.decode([String: ConfigValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .list(let v): try c.encode(v)
        case .dictionary(let v): try c.encode(v)
        }
    }

    /// The value as a number, when it is one.
    public var number: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .bool(let v): return v ? 1 : 0
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .string(let v): return v
        case .bool(let v): return String(v)
        case .list(let v): return "[" + v.map(\.description).joined(separator: ", ") + "]"
        case .dictionary(let v): return "{" + v.keys.sorted().map { "\($0): \(v[$0]!)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A run configuration: nested key/values.
public typealias RunConfig = [String: ConfigValue]

extension Dictionary where Key == String, Value == ConfigValue {
    /// Dotted keys for nested dictionaries (`optimizer.learning_rate`), in sorted order.
    public var flattened: [(key: String, value: ConfigValue)] {
        var out: [(String, ConfigValue)] = []
        func visit(_ prefix: String, _ value: ConfigValue) {
            if case .dictionary(let d) = value {
                for k in d.keys.sorted() { visit(prefix.isEmpty ? k : "\(prefix).\(k)", d[k]!) }
            } else {
                out.append((prefix, value))
            }
        }
        for k in keys.sorted() { visit(k, self[k]!) }
        return out
    }
}
