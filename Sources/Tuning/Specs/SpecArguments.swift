import Tracking

/// The arguments of a spec entry (a layer, the optimizer, a callback), each resolved against the
/// run's configuration: a value that is text naming a config key (`units: layer_1`), or
/// `${key}`, takes that key's value — so a sweep that sets the key changes the model.
struct SpecArguments {
    let entry: SpecNode
    private var values: [String: (node: SpecNode, value: ConfigValue)] = [:]
    private var used: Set<String> = []

    init(_ entry: SpecNode, config: RunConfig, known: [String]) throws {
        self.entry = entry
        guard !entry.isNull else { return }
        for (key, node) in try entry.mapping(known: known) {
            values[key] = (node, try Self.resolve(node, config: config))
        }
    }

    /// A node's value with config references replaced, inside mappings too
    /// (`kernel_regularizer: {l2: l2}`).
    static func resolve(_ node: SpecNode, config: RunConfig) throws -> ConfigValue {
        if case .mapping = node.node {
            var result: RunConfig = [:]
            for (key, value) in try node.mapping() { result[key] = try resolve(value, config: config) }
            return .dictionary(result)
        }
        if case .scalar = node.node, SpecNode.kindOf(node.node) == .str, let text = node.node.string {
            let key = text.hasPrefix("${") && text.hasSuffix("}") ? String(text.dropFirst(2).dropLast()) : text
            if let value = lookup(key, in: config) { return value }
            if text.hasPrefix("${") { throw node.error("\(text) names no config key; config keys: \(config.flattened.map(\.key).joined(separator: ", "))") }
        }
        return try node.configValue()
    }

    /// The value at a (dotted) key of a configuration.
    static func lookup(_ key: String, in config: RunConfig) -> ConfigValue? {
        if let value = config[key] { return value }
        var current: ConfigValue? = .dictionary(config)
        for part in key.split(separator: ".") {
            guard case .dictionary(let inner)? = current else { return nil }
            current = inner[String(part)]
        }
        return current
    }

    func has(_ key: String) -> Bool { values[key] != nil }

    func node(_ key: String) -> SpecNode? { values[key]?.node }

    func value(_ key: String) -> ConfigValue? { values[key]?.value }

    private func typeError(_ key: String, _ expected: String) -> TuningError {
        let (node, value) = values[key]!
        return node.error("\(key) must be \(expected), got \(value)")
    }

    func int(_ key: String) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = Int(configValue: value) else { throw typeError(key, "an integer") }
        return number
    }

    func double(_ key: String) throws -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = Double(configValue: value) else { throw typeError(key, "a number") }
        return number
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw typeError(key, "text") }
        return text
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw typeError(key, "true or false") }
        return flag
    }

    func ints(_ key: String) throws -> [Int]? {
        guard let value = value(key) else { return nil }
        guard case .list(let items) = value, let numbers = Optional(items.compactMap { Int(configValue: $0) }), numbers.count == items.count else {
            throw typeError(key, "a list of integers")
        }
        return numbers
    }

    /// A required argument.
    func require<T>(_ key: String, _ read: (String) throws -> T?) throws -> T {
        guard let value = try read(key) else { throw entry.error("\(key) is required here") }
        return value
    }

    /// Whether an entry's `when:` holds: every key's config value is one of the given values
    /// (`when: {batchnorm: after}` or `{batchnorm: [before, after]}`).
    static func when(_ node: SpecNode?, config: RunConfig) throws -> Bool {
        guard let node else { return true }
        let conditions = try node.mapping()
        // Every key is checked, not only those before the first that fails.
        for (key, wanted) in conditions where lookup(key, in: config) == nil { throw wanted.error("when: \(key) is not a config key") }
        for (key, wanted) in conditions {
            guard let actual = lookup(key, in: config) else { throw wanted.error("when: \(key) is not a config key") }
            let options: [ConfigValue]
            if case .list(let items) = try wanted.configValue() { options = items } else { options = [try wanted.configValue()] }
            if !options.contains(where: { $0.matches(actual) }) { return false }
        }
        return true
    }
}
