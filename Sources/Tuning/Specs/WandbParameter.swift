import Tracking

/// One entry of a W&B sweep's `parameters`, read into a `WandbDistribution`.
enum WandbParameter {
    /// The keys each distribution takes.
    static let keys: [WandbDistribution.Kind: [String]] = [
        .constant: ["value"], .categorical: ["values", "probabilities"], .intUniform: ["min", "max"], .uniform: ["min", "max"],
        .qUniform: ["min", "max", "q"], .logUniform: ["min", "max"], .logUniformValues: ["min", "max"], .qLogUniform: ["min", "max", "q"],
        .qLogUniformValues: ["min", "max", "q"], .invLogUniform: ["min", "max"], .invLogUniformValues: ["min", "max"],
        .normal: ["mu", "sigma"], .qNormal: ["mu", "sigma", "q"], .logNormal: ["mu", "sigma"], .qLogNormal: ["mu", "sigma", "q"],
        .beta: ["a", "b"], .qBeta: ["a", "b", "q"],
    ]

    static func distribution(_ node: SpecNode, name: String) throws -> WandbDistribution {
        let entries = try node.dictionary(known: ["distribution", "values", "value", "probabilities", "min", "max", "q", "mu", "sigma", "a", "b"])
        let kind = try self.kind(entries, node: node)
        let allowed = Set((keys[kind] ?? []) + ["distribution"])
        if let extra = entries.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw entries[extra]!.error("\(kind.rawValue) takes \((keys[kind] ?? []).joined(separator: ", ")), not \(extra)")
        }
        var d = WandbDistribution(kind: kind)
        switch kind {
        case .constant: d.constant = try required(entries, "value", node).configValue()
        case .categorical:
            let values = try required(entries, "values", node)
            guard case .list(let items) = try values.configValue() else { throw values.error("values is a list") }
            d.values = items
            if let p = entries["probabilities"] {
                d.probabilities = try p.list().map { try $0.double() }
            }
        case .intUniform:
            let low = try required(entries, "min", node), high = try required(entries, "max", node)
            guard SpecNode.kindOf(low.node) == .int, SpecNode.kindOf(high.node) == .int else {
                throw node.error("int_uniform needs integer min and max (W&B refuses \(low.kind) … \(high.kind)); use uniform or q_uniform for real numbers")
            }
            d.min = Double(try low.int())
            d.max = Double(try high.int())
            d.integerBounds = true
        default:
            if let v = entries["min"] { d.min = try v.double() } else if (keys[kind] ?? []).contains("min") { throw node.error("\(kind.rawValue) needs min") }
            if let v = entries["max"] { d.max = try v.double() } else if (keys[kind] ?? []).contains("max") { throw node.error("\(kind.rawValue) needs max") }
            if let v = entries["mu"] { d.mu = try v.double() }
            if let v = entries["sigma"] { d.sigma = try v.double() }
            if let v = entries["a"] { d.a = try v.double() }
            if let v = entries["b"] { d.b = try v.double() }
            if let v = entries["q"] { d.q = SpecNode.kindOf(v.node) == .int ? .integer(try v.int()) : .real(try v.double()) }
        }
        do {
            try d.validate(name)
        } catch TuningError.invalidParameter(let message) {
            throw node.error(message)
        }
        return d
    }

    /// The distribution named, or inferred as W&B infers it.
    private static func kind(_ entries: [String: SpecNode], node: SpecNode) throws -> WandbDistribution.Kind {
        if let named = entries["distribution"] {
            let text = try named.string()
            if text == "categorical_w_probabilities" { return .categorical }
            guard let kind = WandbDistribution.Kind(rawValue: text) else {
                let suggestion = SpecNode.closest(text, in: WandbDistribution.Kind.allCases.map(\.rawValue)).map { "; did you mean \($0)?" } ?? ""
                throw named.error("unknown distribution \(text)\(suggestion) (known: \(WandbDistribution.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return kind
        }
        if entries["values"] != nil { return .categorical }
        if entries["value"] != nil { return .constant }
        if let low = entries["min"], let high = entries["max"] {
            if SpecNode.kindOf(low.node) == .int && SpecNode.kindOf(high.node) == .int { return .intUniform }
            return .uniform
        }
        throw node.error("cannot tell the distribution: give values, value, min and max, or distribution")
    }

    private static func required(_ entries: [String: SpecNode], _ key: String, _ node: SpecNode) throws -> SpecNode {
        guard let value = entries[key] else { throw node.error("\(key) is required here") }
        return value
    }
}
