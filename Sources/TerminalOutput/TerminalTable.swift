/// A plain-text table with aligned columns (numbers right-aligned), for terminal output.
public struct TerminalTable {
    public var headers: [String]
    public var rows: [[String]] = []

    public init(_ headers: [String]) { self.headers = headers }

    public mutating func append(_ row: [String]) { rows.append(row) }

    public func render() -> String {
        let columns = headers.count
        var widths = headers.map(\.count)
        for row in rows {
            for c in 0..<columns where c < row.count { widths[c] = max(widths[c], row[c].count) }
        }
        func isNumeric(_ text: String) -> Bool {
            !text.isEmpty && text.allSatisfy { "0123456789.-+e%x×".contains($0) }
        }
        func line(_ cells: [String]) -> String {
            (0..<columns).map { c in
                let text = c < cells.count ? cells[c] : ""
                let pad = String(repeating: " ", count: widths[c] - text.count)
                return isNumeric(text) ? pad + text : text + pad
            }.joined(separator: "  ")
        }
        var output = [line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        output += rows.map(line)
        return output.joined(separator: "\n")
    }
}
