/// Graphviz DOT export. Every node is a record `{name|op|shape}`; the style tells what it is:
///
/// | node | look |
/// |---|---|
/// | placeholder (input) | blue, rounded |
/// | trainable variable | green; non-trainable variables pale green |
/// | constant | grey, dashed |
/// | forward op | white |
/// | gradient op (role `.gradient`) | orange |
/// | update op (role `.update`) | lilac; `assign` and `apply_updates` bold purple, with a dashed arrow to each variable they write |
/// | fused kernel | yellow, double border; the label lists what it contains |
///
/// The output depends only on the graph (nodes in order, fixed number formatting), so it is
/// stable enough for golden tests, and it renders with `dot -Tsvg` without warnings.
public struct DOTStyle: Equatable, Sendable {
    public var fill: String
    public var border: String
    public var style: String
    public var peripheries: Int
    public var penWidth: Double

    /// The style of a node: the Graph layer's switch over `Op` (with the role for ordinary ops).
    public static func of(_ node: Node) -> DOTStyle {
        switch node.op {
        case .placeholder:
            return DOTStyle(fill: "#cfe2ff", border: "#1f4e99", style: "filled,rounded", peripheries: 1, penWidth: 1)
        case .variable(_, let trainable):
            return trainable
                ? DOTStyle(fill: "#c8ecc9", border: "#1b6e20", style: "filled", peripheries: 1, penWidth: 1.2)
                : DOTStyle(fill: "#e8f5e9", border: "#5b8f5d", style: "filled", peripheries: 1, penWidth: 1)
        case .constant:
            return DOTStyle(fill: "#eeeeee", border: "#777777", style: "filled,dashed", peripheries: 1, penWidth: 1)
        case .assign, .applyUpdates:
            return DOTStyle(fill: "#e4d7f5", border: "#5b2a9d", style: "filled,bold", peripheries: 1, penWidth: 2)
        case .fusedElementwise, .gemmEpilogue, .gemmAccumulate, .batchNormTrainingFused, .batchNormTrainingGradientFused:
            return DOTStyle(fill: "#fff3b0", border: "#9a7b00", style: "filled", peripheries: 2, penWidth: 1.2)
        case .matmul, .unary, .binary, .softmax, .logSoftmax, .reduce, .reshape, .transpose, .broadcast,
             .batchNormTraining, .batchNormInference, .batchNormTrainingGradient, .output, .loss, .lossGradient, .stopGradient:
            switch node.role {
            case .forward: return DOTStyle(fill: "#ffffff", border: "#333333", style: "filled", peripheries: 1, penWidth: 1)
            case .gradient: return DOTStyle(fill: "#ffe0c2", border: "#b35900", style: "filled", peripheries: 1, penWidth: 1)
            case .update: return DOTStyle(fill: "#f1e9fb", border: "#5b2a9d", style: "filled", peripheries: 1, penWidth: 1)
            }
        }
    }
}

extension Graph {
    /// The graph in Graphviz DOT, titled `title`.
    public func dot(title: String = "graph") -> String {
        var lines: [String] = []
        lines.append("digraph \"\(escapeQuoted(title))\" {")
        lines.append("  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=11, label=\"\(escapeQuoted(title))\", labelloc=t];")
        lines.append("  node [shape=record, fontname=\"Helvetica\", fontsize=10];")
        lines.append("  edge [color=\"#555555\", arrowsize=0.6];")
        for node in nodes {
            let style = DOTStyle.of(node)
            var fields = [node.name, node.op.dotOpField]
            if let contents = node.op.fusedContents { fields.append(contents) }
            fields.append(node.shapes.map(\.description).joined(separator: " "))
            let label = "{" + fields.map(escapeRecordField).joined(separator: "|") + "}"
            var attributes = [
                "label=\"\(label)\"",
                "style=\"\(style.style)\"",
                "fillcolor=\"\(style.fill)\"",
                "color=\"\(style.border)\"",
            ]
            if style.peripheries != 1 { attributes.append("peripheries=\(style.peripheries)") }
            if style.penWidth != 1 { attributes.append("penwidth=\(formatAttribute(style.penWidth))") }
            lines.append("  n\(node.id.index) [\(attributes.joined(separator: ", "))];")
        }
        for node in nodes {
            for (k, input) in node.inputs.enumerated() {
                if node.op.writesInput(k) {
                    // The variable an assign writes: dashed, against the data flow, not ranking.
                    lines.append("  n\(node.id.index) -> n\(input.index) [style=dashed, color=\"#5b2a9d\", constraint=false, label=\"writes\", fontsize=8];")
                } else {
                    lines.append("  n\(input.index) -> n\(node.id.index);")
                }
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Op {
    /// The op field of a DOT record: the label without the fused contents.
    var dotOpField: String {
        [OpKind.fusedElementwise, .gemmEpilogue, .gemmAccumulate].contains(kind) ? kind.rawValue : label
    }

    /// What a fused node contains, listed in its label.
    var fusedContents: String? {
        if case .fusedElementwise(let program) = self { return program.opNames.joined(separator: " → ") }
        if case .gemmEpilogue(let e) = self {
            var parts = ["matmul" + (e.transposeA ? " Aᵀ" : "") + (e.transposeB ? " Bᵀ" : "")]
            if e.hasBias { parts.append("+ bias") }
            if let a = e.activation { parts.append("→ " + a.label) }
            return parts.joined(separator: " ")
        }
        if case .gemmAccumulate(let a) = self {
            return "\(formatAttribute(a.beta))·C + \(formatAttribute(a.alpha))·matmul" + (a.transposeA ? " Aᵀ" : "") + (a.transposeB ? " Bᵀ" : "")
        }
        if case .batchNormTrainingFused(_, let relu) = self {
            return relu ? "mean, variance → scale·x + shift → relu" : "mean, variance → scale·x + shift"
        }
        if case .batchNormTrainingGradientFused(_, let masks) = self {
            return (masks.cotangent ? "relu mask → " : "") + "Σdy, Σdy·x̂ → dx" + (masks.input ? " → input relu mask" : "")
        }
        return nil
    }
}

/// Escapes the characters that structure record labels (`{ } | < >`), quotes and backslashes.
private func escapeRecordField(_ text: String) -> String {
    var result = ""
    for ch in text {
        switch ch {
        case "{", "}", "|", "<", ">", "\"", "\\": result += "\\\(ch)"
        case "\n": result += "\\n"
        default: result.append(ch)
        }
    }
    return result
}

private func escapeQuoted(_ text: String) -> String {
    var result = ""
    for ch in text {
        if ch == "\\" || ch == "\"" { result.append("\\") }
        result.append(ch)
    }
    return result
}
