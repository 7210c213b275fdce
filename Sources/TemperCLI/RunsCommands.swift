import TerminalOutput
import ArgumentParser
import Charts
import Foundation
import Tracking

/// Options every run-store command takes.
struct StoreOptions: ParsableArguments {
    @Option(name: [.customLong("store"), .customLong("dir")], help: "The run store: a directory, or a postgres://user:password@host:port/database URL (default: $TEMPER_STORE, else $TEMPER_DIR, else ./temper-runs).")
    var dir: String?

    /// Opens an existing store read-only: these commands never create, migrate or write it, and
    /// never wait for a writer's lock.
    func openForReading() throws -> RunStore {
        try RunStore(location: dir, access: .readOnly)
    }

    /// Opens an existing store to change it (`runs delete`).
    func openForChanging() throws -> RunStore {
        try RunStore(location: dir, mustExist: true)
    }
}

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, export or delete recorded runs (`temper runs --json` prints JSON Lines: one object per run per line).",
        subcommands: [RunsListCommand.self, RunsExportCommand.self, RunsDeleteCommand.self],
        defaultSubcommand: RunsListCommand.self
    )
}

struct RunsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "The runs table: name, state, tags, chosen metrics, runtime.",
        discussion: """
        Filters are `column op value` (op: = != > >= < <= ~ for contains), e.g. --filter state=finished \
        --filter 'val_accuracy>0.8' --filter tags~bn. Sort by a column, descending with a leading minus: \
        --sort -val_accuracy. Columns: name id state tags group runtime created host commit notes sweep trial, \
        any metric (its last value), metric.min, metric.max, config.<key>.
        """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "Only runs of this project.") var project: String?
    @Option(help: "Only runs (trials) of this sweep (id, prefix or name).") var sweep: String?
    @Option(parsing: .unconditional, help: "Sort by a column; prefix with - for descending (--sort -val_accuracy).") var sort: String?
    @Option(help: "A filter such as state=finished (repeatable).") var filter: [String] = []
    @Option(help: "Comma-separated columns.") var columns: String?
    @Flag(help: "Print JSON Lines (one JSON object per run per line) instead of a table.") var json = false

    func run() throws {
        let store = try store.openForReading()
        let table = RunsTable(filters: try filter.map(RunsTable.Filter.init), sort: sort, columns: try columns.map { try list($0, option: "--columns") })
        let all = try store.runs(project: project, sweep: try sweep.map { try store.sweep($0).id })
        if all.isEmpty, let project {
            let projects = try store.projects()
            throw ValidationError("no runs in project \"\(project)\"" + (projects.isEmpty ? "" : "; projects: \(projects.joined(separator: ", "))"))
        }
        let (columns, runs, cells) = try table.rows(all)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
            for run in runs { print(InertJSON.text(String(decoding: try encoder.encode(run), as: UTF8.self))) }
            return
        }
        var terminal = TerminalTable(columns.map(TerminalText.visible))
        for row in cells { terminal.append(row.map(TerminalText.visible)) }
        print(terminal.render())
        print("\(runs.count) run\(runs.count == 1 ? "" : "s") in \(TerminalText.visible(store.path))")
    }
}

struct RunsExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export runs as CSV (the table with every config key and metric) or JSON (with histories).")

    @OptionGroup var store: StoreOptions
    @Option(help: "Only runs of this project.") var project: String?
    @Option(help: "csv or json.") var format: ExportFormat = .csv
    @Option(help: "Write to this file instead of standard output (never over the run store).") var out: String?

    enum ExportFormat: String, ExpressibleByArgument, CaseIterable { case csv, json }

    func run() throws {
        let store = try store.openForReading()
        let runs = try store.runs(project: project)
        let text: String
        switch format {
        case .csv:
            let metricKeys = Set(runs.flatMap { $0.summary.keys }).sorted()
            let configKeys = Set(runs.flatMap { $0.config.flattened.map(\.key) }).sorted()
            let columns = ["id", "project", "name", "state", "group", "tags", "created", "runtime", "host", "commit", "notes"] + metricKeys + configKeys.map { "config.\($0)" }
            let lines = ([columns] + runs.map { run in columns.map { RunsTable.exportText(run, $0) } })
                .map { $0.map(SpreadsheetCSV.cell).joined(separator: ",") }
            // On a terminal, store text is shown escaped, as everywhere; into a file, as it is.
            text = (out == nil ? TerminalText.forStandardOutput(lines) : lines).joined(separator: "\n") + "\n"
        case .json:
            struct Export: Encodable {
                var run: RunInfo
                var history: [String: [[Double]]]
            }
            let exports = try runs.map { run in
                Export(run: run, history: try store.history(run.id).mapValues { $0.map { [Double($0.step), $0.value] } })
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
            text = InertJSON.text(String(decoding: try encoder.encode(exports), as: UTF8.self)) + "\n"
        }
        if let out {
            try OutputFile.write(text, to: out, protecting: store.path)
            print("wrote \(runs.count) runs to \(TerminalText.visible(out))")
        } else {
            print(text, terminator: "")
        }
    }
}

struct RunsDeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete runs and everything they logged (asks first unless --yes).")

    @OptionGroup var store: StoreOptions
    @Argument(help: "Run ids (or unique prefixes or names).") var ids: [String]
    @Flag(help: "Do not ask.") var yes = false

    func run() throws {
        let store = try store.openForChanging()
        let runs = try ids.map { try store.run($0) }
        guard !runs.isEmpty else { throw ValidationError("name at least one run to delete") }
        if !yes {
            let named = runs.map { TerminalText.visible("\($0.id) \($0.name)") }.joined(separator: ", ")
            print("Delete \(runs.count) run\(runs.count == 1 ? "" : "s") (\(named)) and all they logged? [y/N] ", terminator: "")
            fflush(nil)
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                print("nothing deleted")
                throw ExitCode(1)
            }
        }
        let count = try store.delete(runs.map(\.id))
        print("deleted \(count) run\(count == 1 ? "" : "s")")
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Look at one run.", subcommands: [RunShowCommand.self])
}

struct RunShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "A run's details, config, summary, metric history and system metrics as small terminal charts.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The run id (or a unique prefix, or its name).") var id: String

    func run() throws {
        let store = try store.openForReading()
        let run = try store.run(id)
        let v = TerminalText.visible
        print("\(v(run.name))  (\(v(run.id)))  project \(v(run.project))  \(run.state.rawValue)")
        var facts = ["host \(v(run.host))", "runtime \(HTMLReport.formatDuration(run.runtime))"]
        if let group = run.group { facts.append("group \(v(group))") }
        if !run.tags.isEmpty { facts.append("tags \(v(run.tags.joined(separator: ", ")))") }
        if let commit = run.gitCommit { facts.append("commit \(v(String(commit.prefix(10))))") }
        if let sweep = run.sweepID { facts.append("sweep \(v(sweep)) trial \(run.trial ?? 0)") }
        print(facts.joined(separator: " · "))
        print("command: \(v(run.command))")
        if let error = run.error { print("error: \(v(error))") }
        if !run.notes.isEmpty { print("notes: \(v(run.notes))") }
        if !run.config.isEmpty {
            print("\nconfig")
            for (key, value) in run.config.flattened { print("  \(v(key)) = \(v(value.description))") }
        }
        let history = try store.history(run.id)
        if !history.isEmpty {
            print("\nmetrics")
            printSeries(history.mapValues { $0.map(\.value) }) { key, values in
                (run.summary[key].map { "  last \(HTMLReport.formatNumber($0.last)) · min \(HTMLReport.formatNumber($0.min)) · max \(HTMLReport.formatNumber($0.max)) · \($0.count) steps" } ?? "")
                    + Sparkline.nonFiniteNote(values)
            }
        }
        let system = try store.systemMetrics(run.id)
        if !system.isEmpty {
            print("\nsystem")
            printSeries(system.mapValues { $0.map(\.value) }) { _, values in
                let finite = values.filter(\.isFinite)
                return "  last \(HTMLReport.formatNumber(values.last ?? .nan)) · min \(HTMLReport.formatNumber(finite.min() ?? .nan)) · max \(HTMLReport.formatNumber(finite.max() ?? .nan)) · \(values.count) samples"
                    + Sparkline.nonFiniteNote(values)
            }
        }
        let histograms = try store.histogramNames(run.id)
        if !histograms.isEmpty {
            print("\n\(histograms.count) histogram series (\(v(histograms.prefix(4).joined(separator: ", ")))\(histograms.count > 4 ? ", …" : "")); `temper report` draws them")
        }
    }

    /// One line per series, sorted by name: the name (escaped, padded), a sparkline, `detail`.
    private func printSeries(_ series: [String: [Double]], detail: (String, [Double]) -> String) {
        let names = series.keys.sorted()
        let shown = Dictionary(uniqueKeysWithValues: names.map { ($0, TerminalText.visible($0)) })
        let width = shown.values.map(\.count).max() ?? 0
        for name in names {
            let values = series[name] ?? []
            print(shown[name]!.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + Sparkline.render(values, width: 40) + detail(name, values))
        }
    }
}

/// Unicode block sparklines: the series averaged into `width` buckets, scaled to its range (any
/// finite values, however large). Non-finite values are skipped; a bucket of only non-finite
/// values shows `×`, so a gap is visible.
enum Sparkline {
    static let blocks = Array("▁▂▃▄▅▆▇█")
    static let nonFinite: Character = "×"

    static func render(_ values: [Double], width: Int) -> String {
        guard !values.isEmpty, width > 0 else { return "" }
        let scale = LinearScale(covering: values)
        let finite = values.filter(\.isFinite)
        let constant = finite.allSatisfy { $0 == finite.first }
        let buckets = Swift.min(width, values.count)
        var out = ""
        for b in 0..<buckets {
            let start = b * values.count / buckets
            let end = Swift.max((b + 1) * values.count / buckets, start + 1)
            guard let mean = finiteMean(values[start..<end]) else {
                out.append(nonFinite)
                continue
            }
            let level = constant ? 0 : (scale.fraction(mean) * Double(blocks.count - 1)).rounded()
            out.append(blocks[Int(Swift.min(Swift.max(level, 0), Double(blocks.count - 1)))])
        }
        return out
    }

    /// "  · 3 non-finite (×)" when some values are NaN or infinite, else "".
    static func nonFiniteNote(_ values: [Double]) -> String {
        let count = values.filter { !$0.isFinite }.count
        return count == 0 ? "" : " · \(count) non-finite (skipped; \(nonFinite) where a bucket has nothing else)"
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML report: runs table, learning curves, weight/gradient histograms, system metrics, notes."
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "The project (default: the store's only project).") var project: String?
    @Option(help: "Comma-separated run ids, prefixes or names (default: all of the project).") var runs: String?
    @Option(help: "Comma-separated metrics to chart (default: all).") var metrics: String?
    @Option(help: "Draw weight and gradient histograms for at most this many runs (the first of each group first).") var histogramRuns: Int = 6
    @Option(help: "Comma-separated parts of histogram names to draw, or all (default: kernels when any were logged, else all).") var histograms: String?
    @Option(help: "The HTML file to write (never over the run store).") var out: String = "report.html"
    @Option(help: "Instead, a sweep's report: the dashboard's sweep page as one file (runs temper-dashboard).") var sweep: String?

    func run() throws {
        if let sweep {
            try CompanionProgram(name: "temper-dashboard").exec(["--report-sweep", sweep, "--out", out] + (store.dir.map { ["--store", $0] } ?? []))
        }
        guard histogramRuns >= 0 else { throw ValidationError("--histogram-runs must be 0 or more, not \(histogramRuns)") }
        let store = try store.openForReading()
        try OutputFile.check(out, protecting: store.path)
        let project = try self.project ?? Self.onlyProject(store)
        let options = ReportOptions(project: project, runs: try runs.map { try list($0, option: "--runs") }, metrics: try metrics.map { try list($0, option: "--metrics") },
                                    histogramRuns: histogramRuns, histogramFilter: histograms == "all" ? [] : try histograms.map { try list($0, option: "--histograms") })
        let html = try HTMLReport.render(store: store, options: options)
        try OutputFile.write(html, to: out, protecting: store.path)
        print("wrote \(TerminalText.visible(out)) (\(html.utf8.count / 1024) KiB); open it in a browser, no network needed")
    }

    /// The store's project when it holds one, else an error listing them.
    static func onlyProject(_ store: RunStore) throws -> String {
        let projects = try store.projects()
        guard projects.count == 1 else {
            throw ValidationError(projects.isEmpty ? "\(store.path) holds no runs yet"
                                  : "the store holds \(projects.count) projects; choose one with --project: \(projects.map(TerminalText.visible).joined(separator: ", "))")
        }
        return projects[0]
    }
}

/// The items of a comma-separated option, trimmed; naming nothing (`--metrics ""`, `--metrics ,`)
/// is an error.
func list(_ text: String, option: String) throws -> [String] {
    var seen = Set<String>()
    let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && seen.insert($0).inserted }
    guard !items.isEmpty else { throw ValidationError("\(option) names nothing; give a comma-separated list") }
    return items
}
