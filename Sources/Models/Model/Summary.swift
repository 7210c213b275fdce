import Foundation

extension Sequential {
    /// Keras' `model.summary()`: one row per layer (name and type, output shape, parameters) and
    /// the total, trainable and non-trainable counts, for example
    ///
    /// ```
    /// Model: "sequential"
    /// ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    /// ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
    /// …
    ///  Total params: 201 (804.00 B)
    /// ```
    public func summary() throws -> String {
        try ensureBuilt()
        let longest = layers.map { "\($0.name) (\($0.typeName))".count }.max() ?? 0
        let columns = [Swift.max(31, longest), 22, 13]
        func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
            let count = text.count
            guard count < width else { return String(text.prefix(width)) }
            let space = String(repeating: " ", count: width - count)
            return right ? space + text : text + space
        }
        func rule(_ left: String, _ middle: String, _ right: String) -> String {
            left + columns.map { String(repeating: "━", count: $0 + 2) }.joined(separator: middle) + right
        }
        func grouped(_ n: Int) -> String {
            let digits = String(n)
            var out = ""
            for (i, ch) in digits.reversed().enumerated() {
                if i > 0 && i % 3 == 0 { out.append(",") }
                out.append(ch)
            }
            return String(out.reversed())
        }
        func shape(_ dims: [Int]) -> String { "(None, " + dims.map(String.init).joined(separator: ", ") + ")" }
        var lines = ["Model: \"\(name)\""]
        lines.append(rule("┏", "┳", "┓"))
        lines.append("┃ " + pad("Layer (type)", columns[0]) + " ┃ " + pad("Output Shape", columns[1]) + " ┃ " + pad("Param #", columns[2], right: true) + " ┃")
        lines.append(rule("┡", "╇", "┩"))
        for (i, (layer, b)) in zip(layers, built).enumerated() {
            let params = b.parameters.reduce(0) { $0 + $1.count }
            lines.append("│ " + pad("\(layer.name) (\(layer.typeName))", columns[0]) + " │ " + pad(shape(b.output), columns[1]) + " │ " + pad(grouped(params), columns[2], right: true) + " │")
            if i < layers.count - 1 { lines.append("├" + columns.map { String(repeating: "─", count: $0 + 2) }.joined(separator: "┼") + "┤") }
        }
        lines.append("└" + columns.map { String(repeating: "─", count: $0 + 2) }.joined(separator: "┴") + "┘")
        let counts = parameterCounts
        func bytes(_ count: Int) -> String {
            let b = Double(count * 4)
            if b < 1024 { return String(format: "%.2f B", b) }
            if b < 1024 * 1024 { return String(format: "%.2f KB", b / 1024) }
            return String(format: "%.2f MB", b / 1024 / 1024)
        }
        lines.append(" Total params: \(grouped(counts.total)) (\(bytes(counts.total)))")
        lines.append(" Trainable params: \(grouped(counts.trainable)) (\(bytes(counts.trainable)))")
        lines.append(" Non-trainable params: \(grouped(counts.nonTrainable)) (\(bytes(counts.nonTrainable)))")
        return lines.joined(separator: "\n")
    }
}
