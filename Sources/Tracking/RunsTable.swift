import Foundation

/// The runs table of `temper runs`: which runs (filters), in which order (sort) and which columns.
///
/// Column names: `name`, `project`, `id`, `state`, `tags`, `group`, `runtime`, `created`, `host`, `commit`,
/// `notes`, `sweep`, `trial`, a metric key (its last value, e.g. `val_accuracy`), `key.min`,
/// `key.max`, or `config.<dotted key>` (e.g. `config.optimizer.learning_rate`).
public struct RunsTable: Sendable {
    /// A condition `column op value` with `op` one of `=`, `!=`, `>`, `>=`, `<`, `<=`, `~` (contains).
    public struct Filter: Sendable, Equatable {
        public var column: String
        public var op: String
        public var value: String

        /// Parses `state=finished`, `val_accuracy>=0.8`, `tags~bn`, `config.seed!=3`: the column
        /// runs up to the first operator character. An empty column or value, or a value that
        /// starts with another operator (`state==finished`), is an error; so is an ordering
        /// operator with a value that is not a number (except on `created`, an ISO date), and a
        /// state that does not exist.
        public init(_ text: String) throws {
            let operatorCharacters: Set<Character> = ["<", ">", "=", "!", "~"]
            let usage = "filters are `column op value` with op one of =, !=, >, >=, <, <=, ~ (contains); e.g. state=finished or val_accuracy>0.8"
            guard let start = text.firstIndex(where: operatorCharacters.contains) else {
                throw TrackingError.invalidQuery("filter \"\(text)\" has no operator; \(usage)")
            }
            let rest = text[start...]
            let op = [">=", "<=", "!="].first { rest.hasPrefix($0) } ?? String(rest.prefix(1))
            guard op != "!" else { throw TrackingError.invalidQuery("filter \"\(text)\": \"!\" alone is no operator; \(usage)") }
            column = String(text[..<start]).trimmingCharacters(in: .whitespaces)
            self.op = op
            value = String(rest.dropFirst(op.count)).trimmingCharacters(in: .whitespaces)
            guard !column.isEmpty else { throw TrackingError.invalidQuery("filter \"\(text)\" names no column; \(usage)") }
            guard !value.isEmpty else { throw TrackingError.invalidQuery("filter \"\(text)\" has no value after \(op); \(usage)") }
            if let first = value.first, operatorCharacters.contains(first) {
                throw TrackingError.invalidQuery("filter \"\(text)\": the value \"\(value)\" starts with an operator; did you mean \(column)\(op)\(value.drop(while: operatorCharacters.contains))?")
            }
            if column == "created" {
                guard value.count >= 4, value.prefix(4).allSatisfy(\.isNumber) else {
                    throw TrackingError.invalidQuery("filter \"\(text)\": created compares ISO dates such as 2026-12-01 or 2026-12-01T14:00")
                }
            } else if [">", ">=", "<", "<="].contains(op) && !Self.isDecimal(value) {
                throw TrackingError.invalidQuery("filter \"\(text)\": \(op) compares numbers, and \"\(value)\" is not one (write a decimal number such as 0.8 or 1e-3)")
            }
            if column == "state" && op != "~" && !Self.states.contains(value) {
                throw TrackingError.invalidQuery("filter \"\(text)\": a state is one of \(Self.states.joined(separator: ", "))")
            }
        }

        static let states = RunState.allCases.map(\.rawValue)

        /// A finite decimal number as people write them (`0.8`, `-3`, `1e-3`; not `nan`, `0x10`).
        static func isDecimal(_ text: String) -> Bool {
            guard let number = Double(text), number.isFinite else { return false }
            return text.allSatisfy { "0123456789.eE+-".contains($0) }
        }

        /// Columns whose cells are numbers: a filter on them needs a numeric value.
        private func compare(_ actual: Double, _ number: Double) -> Bool {
            switch op {
            case "=": return actual == number
            case "!=": return actual != number
            case ">": return actual > number
            case ">=": return actual >= number
            case "<": return actual < number
            default: return actual <= number
            }
        }

        func checkValue(against runs: [RunInfo]) throws {
            guard op == "=" || op == "!=", !Self.isDecimal(value) else { return }
            let numeric = ["runtime", "trial"].contains(column) || runs.contains { RunsTable.isMetricColumn($0, column) }
            if numeric {
                throw TrackingError.invalidQuery("filter \"\(column)\(op)\(value)\": \(column) is a number, and \"\(value)\" is not one")
            }
        }

        func matches(_ run: RunInfo) -> Bool {
            if Self.isDecimal(value), op != "~", let number = Double(value), RunsTable.isNumeric(column) {
                // A run without the value (the metric never logged, or NaN) matches only `!=`.
                guard let actual = RunsTable.number(run, column) else { return op == "!=" }
                return compare(actual, number)
            }
            let cell = RunsTable.cell(run, column)
            if op == "~" {
                if column == "tags" { return run.tags.contains { $0.localizedCaseInsensitiveContains(value) } }
                return cell.text.localizedCaseInsensitiveContains(value)
            }
            if Self.isDecimal(value), let number = Double(value) {
                // A run without the value (the metric never logged, or NaN) matches only `!=`.
                guard let actual = cell.number else { return op == "!=" }
                return compare(actual, number)
            }
            switch op {
            case "=": return column == "tags" ? run.tags.contains(value) : cell.text == value
            case "!=": return column == "tags" ? !run.tags.contains(value) : cell.text != value
            case ">": return cell.text > value
            case ">=": return cell.text >= value
            case "<": return cell.text < value
            default: return cell.text <= value
            }
        }
    }

    public var filters: [Filter]
    /// A column to sort by; descending when given as `-column`.
    public var sort: String?
    public var columns: [String]?

    public init(filters: [Filter] = [], sort: String? = nil, columns: [String]? = nil) {
        self.filters = filters
        self.sort = sort
        self.columns = columns
    }

    /// The default columns: name, id, state, tags, the usual metrics that exist, then runtime.
    public static func defaultColumns(for runs: [RunInfo]) -> [String] {
        let metrics = Set(runs.flatMap { $0.summary.keys })
        var chosen = ["val_accuracy", "val_loss", "accuracy", "loss"].filter(metrics.contains)
        if chosen.isEmpty { chosen = Array(metrics.sorted().prefix(4)) }
        return ["name", "id", "state", "tags"] + chosen + ["runtime"]
    }

    /// The filtered, sorted runs and their cells for `columns` (or the defaults).
    public func rows(_ runs: [RunInfo]) throws -> (columns: [String], runs: [RunInfo], cells: [[String]]) {
        let (columns, selected) = try select(runs)
        return (columns, selected, selected.map { run in Self.cells(run, columns) })
    }

    /// A run's cells for `columns`, as the table shows them.
    public static func cells(_ run: RunInfo, _ columns: [String]) -> [String] { columns.map { cell(run, $0).text } }

    /// The columns (given or default) and the filtered, sorted runs, without their cells (a page
    /// of a long table formats only its own rows).
    public func select(_ runs: [RunInfo]) throws -> (columns: [String], runs: [RunInfo]) {
        // A column that no run has is a typo, not a filter that matches nothing.
        for filter in filters { try filter.checkValue(against: runs) }
        if let sort, sort.isEmpty || sort == "-" {
            throw TrackingError.invalidQuery("sort names a column (descending as -column, e.g. -val_accuracy), not \"\(sort)\"")
        }
        for column in filters.map(\.column) + (sort.map { [$0.hasPrefix("-") ? String($0.dropFirst()) : $0] } ?? []) + (columns ?? [])
        where !runs.isEmpty && !Self.fixedColumns.contains(column) && runs.allSatisfy({ Self.cell($0, column).text.isEmpty }) {
            let metrics = Set(runs.flatMap { $0.summary.keys }).sorted()
            throw TrackingError.invalidQuery("no run has \"\(column)\"; metrics: \(metrics.joined(separator: ", ")); other columns: \(Self.fixedColumns.joined(separator: ", ")), config.<key>, <metric>.min, <metric>.max")
        }
        var selected = runs.filter { run in filters.allSatisfy { $0.matches(run) } }
        if let sort {
            let descending = sort.hasPrefix("-")
            let column = descending ? String(sort.dropFirst()) : sort
            // Each run's cell once, not once per comparison.
            let keyed = selected.map { run in (run, Self.isNumeric(column) ? (text: "", number: Self.number(run, column)) : Self.cell(run, column)) }
            selected = keyed.sorted { a, b in
                let x = a.1, y = b.1
                let ascending: Bool
                switch (x.number, y.number) {
                case let (p?, q?): ascending = p < q
                case (nil, _?): return false  // missing values last either way
                case (_?, nil): return true
                default: ascending = x.text < y.text
                }
                return descending ? !ascending && (x.number != y.number || x.text != y.text) : ascending
            }.map(\.0)
        }
        return (self.columns ?? Self.defaultColumns(for: selected), selected)
    }

    /// A cell for export: numbers in full (a metric's last value round-trips; runtime in seconds),
    /// other cells as the table shows them.
    public static func exportText(_ run: RunInfo, _ column: String) -> String {
        let cell = cell(run, column)
        if column == "created" { return cell.text }
        if column == "runtime" { return String(run.runtime) }
        if let summary = run.summary[column] { return summary.last.isNaN ? "NaN" : String(summary.last) }
        if let number = cell.number, !column.hasPrefix("config.") { return String(number) }
        return cell.text
    }

    /// Whether `column` is one of the run's metrics (`key`, `key.min`, `key.max`).
    static func isMetricColumn(_ run: RunInfo, _ column: String) -> Bool {
        run.summary[column] != nil || [".min", ".max"].contains { column.hasSuffix($0) && run.summary[String(column.dropLast($0.count))] != nil }
    }

    /// Columns every run has (possibly empty).
    static let fixedColumns = ["name", "project", "id", "state", "tags", "group", "runtime", "created", "host", "commit", "notes", "sweep", "trial"]

    /// The text and (when numeric) the value of one cell.
    /// Whether a column's cells are numbers or empty (metrics, `.min`/`.max`, runtime, trial):
    /// such columns filter and sort by `number` alone, without formatting text.
    static func isNumeric(_ column: String) -> Bool {
        !fixedColumns.contains(column) && !column.hasPrefix("config.") || column == "runtime" || column == "trial"
    }

    /// The number of a numeric column's cell (see `isNumeric`), nil where there is none.
    static func number(_ run: RunInfo, _ column: String) -> Double? {
        switch column {
        case "runtime": return run.runtime
        case "trial": return run.trial.map(Double.init)
        default:
            for suffix in [".min", ".max"] where column.hasSuffix(suffix) {
                if let s = run.summary[String(column.dropLast(suffix.count))] { return suffix == ".min" ? s.min : s.max }
            }
            guard let s = run.summary[column], !s.last.isNaN else { return nil }
            return s.last
        }
    }

    static func cell(_ run: RunInfo, _ column: String) -> (text: String, number: Double?) {
        switch column {
        case "name": return (run.name, nil)
        case "project": return (run.project, nil)
        case "id": return (run.id, nil)
        case "state": return (run.state.rawValue, nil)
        case "tags": return (run.tags.joined(separator: " "), nil)
        case "group": return (run.group ?? "", nil)
        case "runtime": return (HTMLReport.formatDuration(run.runtime), run.runtime)
        case "created":
            let date = Date(timeIntervalSince1970: run.createdAt)
            return (ISO8601DateFormatter().string(from: date), run.createdAt)
        case "host": return (run.host, nil)
        case "commit": return (run.gitCommit.map { String($0.prefix(10)) } ?? "", nil)
        case "notes": return (run.notes, nil)
        case "sweep": return (run.sweepID ?? "", nil)
        case "trial": return (run.trial.map(String.init) ?? "", run.trial.map(Double.init))
        default:
            if column.hasPrefix("config.") {
                let key = String(column.dropFirst("config.".count))
                let value = run.config.flattened.first { $0.key == key }?.value
                return (value?.description ?? "", value?.number)
            }
            for suffix in [".min", ".max"] where column.hasSuffix(suffix) {
                let key = String(column.dropLast(suffix.count))
                if let s = run.summary[key] {
                    let v = suffix == ".min" ? s.min : s.max
                    return (HTMLReport.formatNumber(v), v)
                }
            }
            if let s = run.summary[column] { return (HTMLReport.formatNumber(s.last), s.last.isNaN ? nil : s.last) }
            return ("", nil)
        }
    }
}
