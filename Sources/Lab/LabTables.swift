/// The lab's results as plain-text tables for the terminal.
public enum LabTables {
    static func meanAndRange(_ values: [Double]) -> String {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return "n/a" }
        let mean = finite.reduce(0, +) / Double(finite.count)
        return finite.count == 1 ? format(mean) : "\(format(mean)) [\(format(low))–\(format(high))]"
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)).joined(separator: "\n")
    }

    public static func covariateShift(_ result: CovariateShiftResult) -> String {
        let rows = result.variants.map { v -> [String] in
            let reached = v.stepsTo90Percent.map { $0.map(String.init) ?? "never" }.joined(separator: ", ")
            return [v.name, meanAndRange(v.finalTestAccuracy), reached, meanAndRange(v.relativeMedianTravel)]
        }
        return "mean [range] over \(result.variants.first?.finalTestAccuracy.count ?? 0) seeds, \(result.epochs) epochs of \(result.stepsPerEpoch) steps\n"
            + table(["variant", "final test accuracy", "step reaching 90% (per seed)", "median travel / spread"], rows)
    }
}
