import Charts
import Foundation

/// What a report shows.
public struct ReportOptions: Sendable {
    public var project: String
    /// Run ids (or prefixes, or names); nil for every run of the project.
    public var runs: [String]?
    /// Metrics to chart (default: every metric the runs logged, `learning_rate` last).
    public var metrics: [String]?
    /// At most this many runs get their weight and gradient histograms drawn: the first run of
    /// each group (a case-study variant's seeds are a group), then the next runs in order.
    public var histogramRuns: Int
    /// Only histograms whose name contains one of these; empty for all; nil (the default) for the
    /// kernels when any were logged, else all.
    public var histogramFilter: [String]?
    public var title: String?

    public init(project: String, runs: [String]? = nil, metrics: [String]? = nil, histogramRuns: Int = 6,
                histogramFilter: [String]? = nil, title: String? = nil) {
        self.project = project
        self.runs = runs
        self.metrics = metrics
        self.histogramRuns = histogramRuns
        self.histogramFilter = histogramFilter
        self.title = title
    }
}

/// A report as ONE self-contained HTML file — no network needed to view it: the runs table
/// (sortable by clicking a column), the learning curves of each chosen metric with every chosen
/// run on shared axes, the weight and gradient histograms over time, the system metrics, and the
/// notes. Charts are inline SVG with axes, legends and labels; every name, tag and note is
/// escaped, so nothing in a run can inject markup or script.
public enum HTMLReport {
    public static func render(store: RunStore, options: ReportOptions) throws -> String {
        var runs = try store.runs(project: options.project)
        if let wanted = options.runs {
            runs = try wanted.map { id in
                let run = try store.run(id)
                guard run.project == options.project else {
                    throw TrackingError.unknownRun("run \(run.id) (\(run.name)) belongs to project \"\(run.project)\", not \"\(options.project)\"")
                }
                return run
            }
            // The same run named twice (by id and by name, say) is drawn once.
            var seen = Set<[UInt8]>()
            runs = runs.filter { seen.insert(Array($0.id.utf8)).inserted }
        }
        guard !runs.isEmpty else {
            let projects = try store.projects()
            throw TrackingError.unknownRun("project \"\(options.project)\" has no runs in \(store.path)" + (projects.isEmpty ? "" : "; projects: \(projects.joined(separator: ", "))"))
        }
        let allMetrics = Set(runs.flatMap { $0.summary.keys })
        if let wanted = options.metrics {
            let unknown = wanted.filter { !allMetrics.contains($0) }
            guard unknown.isEmpty else {
                throw TrackingError.invalidQuery("no run of the report logged \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); metrics: \(allMetrics.sorted().joined(separator: ", "))")
            }
        }
        let chosenMetrics = options.metrics ?? allMetrics.sorted { a, b in
            a == "learning_rate" ? false : b == "learning_rate" ? true : a < b
        }
        // A metric that never changed in any run (a constant learning rate) is a line of text,
        // not 30 identical flat lines.
        let constantMetrics = chosenMetrics.filter { key in
            guard let first = runs.first?.summary[key] else { return false }
            return runs.allSatisfy { run in run.summary[key].map { $0.min == first.min && $0.max == first.min } ?? false }
        }
        let metrics = chosenMetrics.filter { !constantMetrics.contains($0) }
        // Runs of one group (a variant's seeds) share a hue, in shades; a run without a group has its own.
        var groupNumbers: [String: Int] = [:]
        let groupOfRun = runs.map { run -> Int in
            let key = run.group.map { "group:" + $0 } ?? "run:" + run.id
            if let number = groupNumbers[key] { return number }
            groupNumbers[key] = groupNumbers.count
            return groupNumbers.count - 1
        }
        // Keyed by the id's bytes: ids that are equal as Unicode text but not byte for byte are
        // different runs.
        let colors = Dictionary(zip(runs.map { Array($0.id.utf8) }, ChartPalette.shades(groups: groupOfRun)), uniquingKeysWith: { a, _ in a })
        let color = { (run: RunInfo) in colors[Array(run.id.utf8)] ?? ChartPalette.color(0) }
        let title = options.title ?? "Temper report: \(options.project)"
        var chartNumber = 0
        func nextID() -> String {
            chartNumber += 1
            return "chart\(chartNumber)"
        }

        var body = ""
        body += "<header><h1>\(Markup.escape(title))</h1>"
        body += "<p class=\"meta\">\(runs.count) run\(runs.count == 1 ? "" : "s") · generated \(Markup.escape(ISO8601DateFormatter().string(from: Date()))) · store \(Markup.escape(store.path))</p></header>\n"

        // Runs table: what differs between runs first; what is the same for all is one line.
        let configs = runs.map { Dictionary($0.config.flattened, uniquingKeysWith: { a, _ in a }) }
        let allConfigKeys = Array(Set(configs.flatMap(\.keys))).sorted()
        let constantConfigKeys = allConfigKeys.filter { key in
            guard let first = configs.first?[key] else { return false }
            return configs.allSatisfy { $0[key] == first }
        }
        let configKeys = allConfigKeys.filter { !constantConfigKeys.contains($0) }
        body += "<section><h2>Runs</h2>"
        let shared = constantConfigKeys.map { "\($0) = \(configs[0][$0]!.description)" }
            + constantMetrics.map { "\($0) = \(formatNumber(runs[0].summary[$0]!.last))" }
        if runs.count > 1 && !shared.isEmpty {
            body += "<p class=\"shared\">Same for every run: \(Markup.escape(shared.joined(separator: " · ")))</p>"
        }
        body += "<div class=\"scroll\"><table id=\"runs\"><thead><tr>"
        let headers = ["name", "id", "state", "tags", "group", "runtime"] + configKeys.map { "config.\($0)" } + metrics
        for (i, header) in headers.enumerated() {
            body += "<th data-column=\"\(i)\">\(Markup.escape(header))</th>"
        }
        body += "</tr></thead><tbody>\n"
        for (run, config) in zip(runs, configs) {
            // (cell markup, numeric sort key if the column sorts by number)
            var cells: [(String, Double?)] = [
                ("<span class=\"swatch\" style=\"background:\(color(run))\"></span>\(Markup.escape(run.name))", nil),
                (Markup.escape(run.id), nil),
                ("<span class=\"state \(run.state.rawValue)\">\(run.state.rawValue)</span>", nil),
                (run.tags.map { "<span class=\"tag\">\(Markup.escape($0))</span>" }.joined(separator: " "), nil),
                (Markup.escape(run.group ?? ""), nil),
                (Markup.escape(formatDuration(run.runtime)), run.runtime),
            ]
            cells += configKeys.map { (Markup.escape(config[$0]?.description ?? ""), config[$0]?.number) }
            cells += metrics.map { key in (run.summary[key].map { formatNumber($0.last) } ?? "", run.summary[key]?.last) }
            body += "<tr>" + cells.map { cell, sortKey in
                "<td\(sortKey.map { " data-sort=\"\($0)\"" } ?? "")>\(cell)</td>"
            }.joined() + "</tr>\n"
        }
        body += "</tbody></table></div>"
        let failed = runs.filter { $0.error != nil }
        for run in failed { body += "<p class=\"error\">\(Markup.escape(run.name)) failed: \(Markup.escape(run.error ?? ""))</p>" }
        body += "</section>\n"

        // Notes.
        let noted = runs.filter { !$0.notes.isEmpty }
        if !noted.isEmpty {
            body += "<section><h2>Notes</h2>"
            for run in noted { body += "<h3>\(Markup.escape(run.name))</h3><p class=\"notes\">\(Markup.escape(run.notes))</p>" }
            body += "</section>\n"
        }

        // Learning curves on shared axes.
        body += "<section><h2>Metrics</h2><div class=\"grid\">"
        let histories = try Dictionary(runs.map { (Array($0.id.utf8), try store.history($0.id)) }, uniquingKeysWith: { a, _ in a })
        for metric in metrics {
            let series = runs.compactMap { run -> LineChart.Series? in
                guard let points = histories[Array(run.id.utf8)]?[metric], !points.isEmpty else { return nil }
                return LineChart.Series(name: run.name, points: points.map { (Double($0.step), $0.value) }, color: color(run))
            }
            guard !series.isEmpty else { continue }
            let chart = LineChart(title: metric, xLabel: "step", yLabel: metric, series: series, identifier: nextID())
            body += "<figure class=\"chart\">\(chart.svg())</figure>"
        }
        body += "</div></section>\n"

        // Histograms over time: one run per group first, so every variant is seen.
        var histogramRuns: [RunInfo] = []
        var groupsShown = Set<Int>()
        for (run, group) in zip(runs, groupOfRun) where histogramRuns.count < options.histogramRuns && groupsShown.insert(group).inserted {
            histogramRuns.append(run)
        }
        for run in runs where histogramRuns.count < options.histogramRuns && !histogramRuns.contains(where: { $0.id == run.id }) {
            histogramRuns.append(run)
        }
        histogramRuns.sort { a, b in runs.firstIndex { $0.id == a.id }! < runs.firstIndex { $0.id == b.id }! }
        var histogramFigures = ""
        let drawn = try histogramRuns.map { ($0, try store.histograms($0.id)) }
        let filter = options.histogramFilter
            ?? (drawn.contains { $0.1.keys.contains { $0.contains("kernel") } } ? ["kernel"] : [])
        if let asked = options.histogramFilter {
            let names = Set(drawn.flatMap { $0.1.keys })
            let unmatched = asked.filter { part in !names.contains { $0.contains(part) } }
            guard unmatched.isEmpty else {
                throw TrackingError.invalidQuery("no histogram name contains \(unmatched.map { "\"\($0)\"" }.joined(separator: ", ")); histograms: \(names.isEmpty ? "none were logged" : names.sorted().joined(separator: ", "))")
            }
        }
        for (run, histograms) in drawn {
            // Weights before their gradients, as W&B lays them out.
            let names = histograms.keys.sorted { a, b in (a.hasPrefix("gradients/") ? 1 : 0, a) < (b.hasPrefix("gradients/") ? 1 : 0, b) }
            for name in names where filter.isEmpty || filter.contains(where: { name.contains($0) }) {
                let chart = HistogramChart(title: "\(run.name): \(name)", xLabel: "step", yLabel: name.hasPrefix("gradients/") ? "gradient" : "value",
                                           columns: histograms[name]!.map { (Double($0.step), $0.histogram) })
                histogramFigures += "<figure class=\"chart\">\(chart.svg())</figure>"
            }
        }
        if !histogramFigures.isEmpty {
            let more = runs.count > histogramRuns.count
                ? " (\(histogramRuns.count) of \(runs.count) runs\(groupsShown.count > 1 ? ", the first of each group" : ""))" : ""
            body += "<section><h2>Weights and gradients over time\(Markup.escape(more))</h2><div class=\"grid\">\(histogramFigures)</div></section>\n"
        }

        // System metrics, over seconds since each run's start.
        let systems = try Dictionary(runs.map { (Array($0.id.utf8), try store.systemMetrics($0.id)) }, uniquingKeysWith: { a, _ in a })
        let systemKeys = Set(systems.values.flatMap { $0.keys }).sorted()
        if !systemKeys.isEmpty {
            body += "<section><h2>System</h2><div class=\"grid\">"
            for key in systemKeys {
                let series = runs.compactMap { run -> LineChart.Series? in
                    guard let points = systems[Array(run.id.utf8)]?[key], !points.isEmpty else { return nil }
                    return LineChart.Series(name: run.name, points: points.map { ($0.time - run.createdAt, key == "rss_bytes" ? $0.value / 1_048_576 : $0.value) },
                                            color: color(run))
                }
                let label = key == "rss_bytes" ? "resident memory (MiB)" : key.replacingOccurrences(of: "_", with: " ")
                body += "<figure class=\"chart\">\(LineChart(title: label, xLabel: "seconds since start", yLabel: label, series: series, identifier: nextID()).svg())</figure>"
            }
            body += "</div></section>\n"
        }
        return page(title: title, body: body)
    }

    /// A metric value for tables: integers plainly, others with 4 decimals or in scientific form.
    public static func formatNumber(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == value.rounded() && Swift.abs(value) < 1e9 { return String(Int(value)) }
        return Swift.abs(value) >= 1e-3 && Swift.abs(value) < 1e6 ? String(format: "%.4f", value) : String(format: "%.3e", value)
    }

    /// `1h 2m 3s`, `4m 5s`, `6.2s`, `25ms` — the W&B runs-table style (milliseconds for runs
    /// shorter than a second, which a small model's are).
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "-" }
        if seconds < 0.9995 { return String(format: "%.0fms", seconds * 1000) }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        // Past ten thousand years (a damaged or hand-made time stamp) in days, as a number.
        if seconds >= 3.2e11 { return String(format: "%.3gd", seconds / 86_400) }
        let total = Int(seconds.rounded())
        let (d, h, m, s) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60, total % 60)
        if d > 0 { return "\(d)d \(h)h \(m)m \(s)s" }
        if h > 0 { return "\(h)h \(m)m \(s)s" }
        return "\(m)m \(s)s"
    }

    private static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Markup.escape(title))</title>
        <style>
        body { font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
        h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        .meta { color: #666; font-size: 12px; }
        .scroll { overflow-x: auto; }
        .shared { color: #444; font-size: 12px; }
        td:first-child, th:first-child { position: sticky; left: 0; z-index: 1; background: #fff; }
        th:first-child { background: #f6f6f6; z-index: 2; }
        table { border-collapse: collapse; font-size: 12px; }
        th, td { border-bottom: 1px solid #eee; padding: 4px 8px; text-align: left; white-space: nowrap; }
        th { cursor: pointer; background: #f6f6f6; position: sticky; top: 0; }
        th.sorted-asc::after { content: " ▲"; } th.sorted-desc::after { content: " ▼"; }
        .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
        .tag { background: #eef; border-radius: 3px; padding: 1px 5px; }
        .state.finished { color: #2e7d32; } .state.failed, .state.crashed { color: #c62828; } .state.running { color: #1565c0; }
        .grid { display: flex; flex-wrap: wrap; gap: 12px; }
        figure.chart { margin: 0; }
        .notes { white-space: pre-wrap; }
        .error { color: #c62828; }
        #errors:empty { display: none; }
        </style>
        </head>
        <body>
        <pre id="errors"></pre>
        \(body)
        <script>
        window.addEventListener("error", function (e) { document.getElementById("errors").textContent += "error: " + e.message + "\\n"; });
        (function () {
          var table = document.getElementById("runs");
          if (!table) return;
          var headers = table.tHead.rows[0].cells;
          for (var i = 0; i < headers.length; i++) {
            headers[i].addEventListener("click", function () {
              var column = +this.dataset.column, ascending = !this.classList.contains("sorted-asc");
              for (var j = 0; j < headers.length; j++) headers[j].classList.remove("sorted-asc", "sorted-desc");
              this.classList.add(ascending ? "sorted-asc" : "sorted-desc");
              var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
              rows.sort(function (a, b) {
                var x = a.cells[column], y = b.cells[column];
                var p = x.dataset.sort !== undefined ? parseFloat(x.dataset.sort) : NaN, q = y.dataset.sort !== undefined ? parseFloat(y.dataset.sort) : NaN;
                var c = (!isNaN(p) && !isNaN(q)) ? p - q : x.textContent.localeCompare(y.textContent);
                return ascending ? c : -c;
              });
              rows.forEach(function (r) { body.appendChild(r); });
            });
          }
        })();
        document.body.setAttribute("data-report-loaded", "yes");
        </script>
        </body>
        </html>

        """
    }
}
