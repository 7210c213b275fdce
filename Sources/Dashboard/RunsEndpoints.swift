import Foundation
import Tracking

/// `/api/runs…`: the runs table, one run, its metric histories, histograms and system metrics.
extension DashboardAPI {
    struct RunsPage: Encodable {
        var total: Int
        var offset: Int
        var limit: Int
        var columns: [String]
        /// Every column a user may add: metric keys (and their `.min`/`.max`) and `config.` keys.
        var available: [String]
        var rows: [Row]
        struct Row: Encodable {
            var id: String, name: String, state: String, project: String, sweep: String?
            var cells: [String]
        }
    }

    /// `GET /api/runs?project=&sweep=&filter=…&sort=-col&columns=a,b&offset=0&limit=100`: the
    /// table of `temper runs` (the same filter syntax, repeatable), a page of it.
    public func runsPage(_ query: [String: [String]]) throws -> Data {
        var runs = try allRuns()
        if let project = query["project"]?.last, !project.isEmpty {
            let all = runs
            runs = runs.filter { $0.project == project }
            // As `temper runs --project`: naming nothing is a mistake, not an empty table.
            if runs.isEmpty {
                throw DashboardError.notFound("no runs in project \"\(project.prefix(80))\"; projects: \(Set(all.map(\.project)).sorted().joined(separator: ", "))")
            }
        }
        if let sweep = query["sweep"]?.last, !sweep.isEmpty {
            let id = try sweepInfo(sweep).id  // an id, a prefix of one or a name, as elsewhere
            runs = runs.filter { $0.sweepID == id }
        }
        let offset = try Self.integer(query, "offset", default: 0, in: 0...Int(Int32.max))
        let limit = try Self.integer(query, "limit", default: 100, in: 1...Self.maxPageSize)
        var columns = query["columns"]?.last.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        if let chosen = columns {
            var seen = Set<String>()
            columns = chosen.filter { seen.insert($0).inserted }  // each column once
            guard seen.count <= Self.maxColumns else {
                throw DashboardError.badRequest("at most \(Self.maxColumns) columns, not \(seen.count)")
            }
        }
        let table: (columns: [String], runs: [RunInfo])
        do {
            let filters = try (query["filter"] ?? []).filter { !$0.isEmpty }.map(RunsTable.Filter.init)
            let sort = query["sort"]?.last.flatMap { $0.isEmpty ? nil : $0 }
            table = try RunsTable(filters: filters, sort: sort, columns: columns?.isEmpty == false ? columns : nil).select(runs)
        } catch let error as TrackingError {
            throw DashboardError.badRequest("\(error)")
        }
        let rows = table.runs.dropFirst(offset).prefix(limit).map { run in
            RunsPage.Row(id: run.id, name: run.name, state: run.state.rawValue, project: run.project, sweep: run.sweepID,
                         cells: RunsTable.cells(run, table.columns))
        }
        return try Self.encode(RunsPage(total: table.runs.count, offset: offset, limit: limit, columns: table.columns,
                                        available: try availableColumns(), rows: Array(rows)))
    }

    /// Columns a runs page may ask for at most.
    static let maxColumns = 200

    static func columns(of runs: [RunInfo]) -> [String] {
        let metrics = Set(runs.flatMap { $0.summary.keys }).sorted()
        let config = Set(runs.flatMap { $0.config.flattened.map { "config." + $0.key } }).sorted()
        return ["name", "id", "state", "tags", "group", "project", "runtime", "created", "sweep", "trial"]
            + metrics.flatMap { [$0, $0 + ".min", $0 + ".max"] } + config
    }

    struct RunDetail: Encodable {
        var id: String, project: String, name: String, group: String?, tags: [String], notes: String
        var config: RunConfig
        var state: String, error: String?
        var createdAt: Double, endedAt: Double?, runtime: Double
        var host: String, command: String, gitCommit: String?, sweep: String?, trial: Int?
        var summary: [String: Summary]
        var histograms: [String]
        var systemMetrics: [String]
        struct Summary: Encodable {
            var last: Double?
            var lastStep: Int
            var min: Double?
            var max: Double?
            var count: Int
        }
    }

    /// `GET /api/runs/{id}`: configuration, summary, notes, and the names of its metrics,
    /// histograms and system metrics.
    public func runDetail(_ id: String) throws -> Data {
        let run = try run(id)
        let summary = run.summary.mapValues { RunDetail.Summary(last: Self.finite($0.last), lastStep: $0.lastStep, min: Self.finite($0.min), max: Self.finite($0.max), count: $0.count) }
        let detail = RunDetail(id: run.id, project: run.project, name: run.name, group: run.group, tags: run.tags, notes: run.notes, config: run.config,
                               state: run.state.rawValue, error: run.error, createdAt: run.createdAt, endedAt: run.endedAt, runtime: run.runtime,
                               host: run.host, command: run.command, gitCommit: run.gitCommit, sweep: run.sweepID, trial: run.trial,
                               summary: summary, histograms: try store.histogramNames(run.id), systemMetrics: try store.systemMetrics(run.id).keys.sorted())
        return try Self.encode(detail)
    }

    /// What a history's x is: the step, or the seconds from the run's start to when the step
    /// was logged (W&B's "relative time").
    enum HistoryAxis: String {
        case step, time
    }

    /// `GET /api/runs/{id}/history?keys=a,b&points=1000&x=step|time`: each metric's `[x, value]`
    /// pairs, downsampled to `points` (min and max per bucket); all metrics without `keys`, 404 for
    /// a key the run never logged. With `x=time`, x is seconds since the run started, and steps
    /// logged by a Temper that did not record times are left out.
    public func history(_ id: String, _ query: [String: [String]]) throws -> Data {
        let run = try run(id)
        let keys = query["keys"]?.last.map { $0.split(separator: ",").map(String.init) }
        let points = try Self.integer(query, "points", default: 1000, in: 4...Self.maxPoints)
        let axisName = query["x"]?.last ?? "step"
        guard let axis = HistoryAxis(rawValue: axisName) else {
            throw DashboardError.badRequest("x must be step or time, not \"\(axisName.prefix(40))\"")
        }
        let history = try store.history(run.id, keys: keys)
        if let missing = keys?.first(where: { history[$0] == nil }) {
            throw DashboardError.notFound("run \(run.id) logged no \"\(missing.prefix(80))\"; it logged: \(run.summary.keys.sorted().joined(separator: ", "))")
        }
        let times = axis == .time ? try store.stepTimes(run.id) : [:]
        var series: [String: [[Double?]]] = [:]
        for (key, values) in history {
            var pairs = values.compactMap { point -> (x: Double, y: Double)? in
                guard axis == .time else { return (Double(point.step), point.value) }
                return times[point.step].map { ($0 - run.createdAt, point.value) }
            }
            if axis == .time { pairs.sort { $0.x < $1.x } }  // a step logged again later moves
            series[key] = Downsampling.minMax(pairs, width: points).map { [$0.x, Self.finite($0.y)] }
        }
        return try Self.encode(HistoryAnswer(run: ["id": run.id, "state": run.state.rawValue], x: axis.rawValue, series: series))
    }

    /// `GET /api/runs/{id}/histograms?name=…`: a histogram's bins at each logged step (all
    /// histograms without `name`).
    public func histograms(_ id: String, _ query: [String: [String]]) throws -> Data {
        let run = try run(id)
        let wanted = query["name"]?.last
        var result: [String: [HistogramStep]] = [:]
        for (name, steps) in try store.histograms(run.id) where wanted == nil || wanted == name {
            result[name] = steps.map { HistogramStep(step: $0.step, edges: $0.histogram.edges.map(Self.finite), counts: $0.histogram.counts) }
        }
        if let wanted, result[wanted] == nil {
            throw DashboardError.notFound("run \(run.id) has no histogram \"\(wanted.prefix(80))\"; it has: \(try store.histogramNames(run.id).joined(separator: ", "))")
        }
        return try Self.encode(result)
    }

    struct HistogramStep: Encodable { var step: Int, edges: [Double?], counts: [Int] }

    /// `GET /api/runs/{id}/system?points=500`: each system metric's `[time, value]` pairs
    /// (seconds since 1970), downsampled.
    public func systemMetrics(_ id: String, _ query: [String: [String]]) throws -> Data {
        let run = try run(id)
        let points = try Self.integer(query, "points", default: 500, in: 4...Self.maxPoints)
        var series: [String: [[Double?]]] = [:]
        for (key, values) in try store.systemMetrics(run.id) {
            series[key] = Downsampling.minMax(values.map { ($0.time, $0.value) }, width: points).map { [$0.x, Self.finite($0.y)] }
        }
        return try Self.encode(series)
    }
}

/// A run's id and state, and its series by metric.
struct HistoryAnswer: Encodable {
    var run: [String: String]
    var x: String
    var series: [String: [[Double?]]]
}
