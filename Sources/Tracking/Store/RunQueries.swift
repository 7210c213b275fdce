import Charts
import Foundation

/// The last, smallest and largest value of one metric of a run.
public struct MetricSummary: Sendable, Equatable, Codable {
    public var last: Double
    public var lastStep: Int
    public var min: Double
    public var max: Double
    public var count: Int

    public init(last: Double, lastStep: Int, min: Double, max: Double, count: Int) {
        self.last = last
        self.lastStep = lastStep
        self.min = min
        self.max = max
        self.count = count
    }
}

/// A run as stored, with its metric summaries.
public struct RunInfo: Sendable, Codable {
    public var id: String
    public var project: String
    public var name: String
    public var group: String?
    public var tags: [String]
    public var notes: String
    public var config: RunConfig
    /// How it stands (`crashed` is what a `running` run whose process is gone, or whose heartbeat
    /// is older than the store's `staleAfter`, reads as).
    public var state: RunState
    public var error: String?
    public var createdAt: Double
    public var endedAt: Double?
    public var heartbeatAt: Double
    public var host: String
    public var command: String
    public var gitCommit: String?
    public var sweepID: String?
    public var trial: Int?
    public var summary: [String: MetricSummary]

    /// Seconds from the start to the end, or to the last heartbeat while running or crashed.
    public var runtime: Double { (endedAt ?? heartbeatAt) - createdAt }
}

extension RunStore {
    /// Every run (of a project, of a sweep), oldest first, with summaries.
    public func runs(project: String? = nil, sweep: String? = nil) throws -> [RunInfo] {
        var conditions: [String] = [], arguments: [StoreValue] = []
        if let project { conditions.append("project = ?"); arguments.append(.text(project)) }
        if let sweep { conditions.append("sweep_id = ?"); arguments.append(.text(sweep)) }
        return try read { db in
            try runInfos(db, where: conditions.isEmpty ? "TRUE" : conditions.joined(separator: " AND "), arguments: arguments)
        }
    }

    /// The runs that may have changed since `time` (seconds since 1970, by the writers' clocks):
    /// every running run, and every run created, ended or heartbeating since then — for a reader
    /// that keeps the runs and refreshes them when the store changes.
    public func runs(changedSince time: Double) throws -> [RunInfo] {
        try read { db in
            try runInfos(db, where: "state = 'running' OR created_at >= ? OR heartbeat_at >= ? OR ended_at >= ?", arguments: [.real(time), .real(time), .real(time)])
        }
    }

    /// How many runs the store holds.
    public func runCount() throws -> Int {
        try read { db in try db.fetch("SELECT count(*) AS n FROM run").first?.int("n") ?? 0 }
    }

    /// The run with this id, or the one whose id starts with it, or whose name it is.
    public func run(_ idOrPrefix: String) throws -> RunInfo {
        let matches = try read { db -> [RunInfo] in
            let exact = try runInfos(db, where: "id = ?", arguments: [.text(idOrPrefix)])
            return exact.isEmpty ? try runInfos(db, where: "substr(id, 1, length(?)) = ? OR name = ?", arguments: Array(repeating: .text(idOrPrefix), count: 3)) : exact
        }
        guard matches.count == 1 else {
            throw TrackingError.unknownRun(matches.isEmpty
                ? "no run \"\(idOrPrefix)\" in \(path); `temper runs` lists them"
                : "\"\(idOrPrefix)\" matches \(matches.count) runs (\(matches.prefix(5).map(\.id).joined(separator: ", "))); give more of the id")
        }
        return matches[0]
    }

    /// The runs matching an SQL condition on the `run` table, oldest first, with their summaries.
    private func runInfos(_ db: any StoreTransaction, where condition: String, arguments: [StoreValue]) throws -> [RunInfo] {
        let rows = try db.fetch("SELECT * FROM run WHERE \(condition) ORDER BY created_at, id", arguments)
        let summaries = try db.fetch("SELECT * FROM summary WHERE run_id IN (SELECT id FROM run WHERE \(condition))", arguments)
        var byRun: [String: [String: MetricSummary]] = [:]
        for s in summaries {
            byRun[try s.text("run_id"), default: [:]][try s.text("key")] = MetricSummary(
                last: try s.optionalDouble("last") ?? .nan, lastStep: try s.int("last_step"), min: try s.optionalDouble("min") ?? .nan,
                max: try s.optionalDouble("max") ?? .nan, count: try s.int("count"))
        }
        return try rows.map { row in try runInfo(row, summary: byRun[try row.text("id")] ?? [:]) }
    }

    /// The step-indexed history of a run's metrics (all, or the named ones), by key, in step order.
    /// A key logged more than once at a step keeps its last value.
    public func history(_ runID: String, keys: [String]? = nil) throws -> [String: [(step: Int, value: Double)]] {
        let wanted = keys.flatMap { $0.isEmpty ? nil : Set($0) }
        var result: [String: [(step: Int, value: Double)]] = [:]
        for (step, values) in try stepRows("history", of: runID, as: [String: JSONStoredNumber].self) {
            for (key, stored) in values {
                guard wanted?.contains(key) ?? true else { continue }
                let value = stored.value
                if let last = result[key]?.last, last.step == step {
                    result[key]![result[key]!.count - 1].value = value
                } else {
                    result[key, default: []].append((step, value))
                }
            }
        }
        return result
    }

    /// When each step of a run's history was logged (seconds since 1970; the last write of the
    /// step), for the steps written by a Temper that records it (schema v4; a store opened
    /// read-only and not yet migrated has none).
    public func stepTimes(_ runID: String) throws -> [Int: Double] {
        try read { db in
            let rows: [StoreRow]
            switch db.dialect {
            case .sqlite:
                guard try db.fetch("SELECT 1 FROM pragma_table_info('history') WHERE name = 'time'").count == 1 else { return [:] }
                // Only numbers (a hand-edited row may hold anything).
                rows = try db.fetch("""
                    SELECT CAST(step AS INTEGER) AS step, MAX(time) AS time FROM history
                    WHERE run_id = ? AND typeof(time) IN ('real', 'integer') GROUP BY step
                    """, runID)
            case .postgres:
                rows = try db.fetch("SELECT step, MAX(time) AS time FROM history WHERE run_id = ? AND time IS NOT NULL GROUP BY step", runID)
            }
            var times: [Int: Double] = [:]
            for row in rows { times[try row.int("step")] = try row.double("time") }
            return times
        }
    }

    /// A run's histograms by name, in step order.
    public func histograms(_ runID: String) throws -> [String: [(step: Int, histogram: Histogram)]] {
        var result: [String: [(step: Int, histogram: Histogram)]] = [:]
        for (step, histograms) in try stepRows("histogram", of: runID, as: [String: JSONStoredHistogram].self) {
            for (name, stored) in histograms {
                let counts = stored.binCounts
                let histogram = Histogram(edges: Histogram.edges(low: stored.low.value, high: stored.high.value, bins: counts.count), counts: counts,
                                          nonFinite: stored.nonFinite)
                if let last = result[name]?.last, last.step == step {
                    result[name]![result[name]!.count - 1].histogram = histogram
                } else {
                    result[name, default: []].append((step, histogram))
                }
            }
        }
        return result
    }

    /// The names of a run's histograms, sorted (read without decoding the histograms).
    public func histogramNames(_ runID: String) throws -> [String] {
        try read { db in
            let sql: String
            switch db.dialect {
            case .sqlite: sql = "SELECT DISTINCT entry.key AS name FROM histogram, json_each(histogram.data) AS entry WHERE histogram.run_id = ? ORDER BY entry.key"
            case .postgres: sql = "SELECT DISTINCT jsonb_object_keys(data::jsonb) AS name FROM histogram WHERE run_id = ? ORDER BY name"
            }
            return try db.fetch(sql, runID).map { try $0.text("name") }
        }
    }

    /// The `data` column of a run's rows in `table` (`history` or `histogram`), decoded, with
    /// their steps, in step order then write order.
    private func stepRows<T: Decodable>(_ table: String, of runID: String, as type: T.Type) throws -> [(step: Int, data: T)] {
        let rows = try read { db in try db.fetch("SELECT step, data FROM \(table) WHERE run_id = ? ORDER BY step, \(db.dialect.writeOrder)", runID) }
        let decoder = JSONDecoder()
        return try rows.map { row in
            let text = try row.text("data")
            do {
                return (try row.int("step"), try decoder.decode(type, from: Data(text.utf8)))
            } catch {
                throw TrackingError.corruptStore("a \(table) row of run \(runID) is malformed (\(error)): \(text.prefix(80))")
            }
        }
    }

    /// A run's system metrics by key, in time order (seconds since 1970).
    public func systemMetrics(_ runID: String) throws -> [String: [(time: Double, value: Double)]] {
        try read { db in
            var result: [String: [(time: Double, value: Double)]] = [:]
            for row in try db.fetch("SELECT time, key, value FROM system_metric WHERE run_id = ? ORDER BY key, time", runID) {
                result[try row.text("key"), default: []].append((try row.double("time"), try row.optionalDouble("value") ?? .nan))
            }
            return result
        }
    }

    /// Project names, alphabetically.
    public func projects() throws -> [String] {
        try read { db in try db.fetch("SELECT DISTINCT project FROM run ORDER BY project").map { try $0.text("project") } }
    }

    /// Deletes runs and everything they logged; returns how many were deleted.
    @discardableResult
    public func delete(_ ids: [String]) throws -> Int {
        try write { db in
            var count = 0
            for id in ids { count += try db.execute("DELETE FROM run WHERE id = ?", id) }
            return count
        }
    }

    /// Whether the run's process is known to be gone: it ran on this machine since its last boot,
    /// and no process with its id and start time exists (stores from before v2 lack the columns).
    static func processIsGone(_ row: StoreRow) -> Bool {
        guard row.hasColumn("pid") else { return false }
        let pid = try? row.optionalInt64("pid"), start = try? row.optionalInt64("process_start")
        let bootID = try? row.optionalText("boot_id"), host = try? row.text("host")
        return ProcessIdentity.isAlive(pid: (pid ?? nil).flatMap { Int32(exactly: $0) }, bootID: bootID ?? nil, startTicks: start ?? nil, host: host ?? "") == false
    }

    /// A stored configuration: integers and reals as written (`ConfigJSON`); configurations
    /// written by `JSONEncoder` (an older store) read the same way.
    static func config(_ text: String) -> RunConfig {
        ConfigJSON.config(text) ?? (try? JSONDecoder().decode(RunConfig.self, from: Data(text.utf8))) ?? [:]
    }

    private func runInfo(_ row: StoreRow, summary: [String: MetricSummary]) throws -> RunInfo {
        let decoder = JSONDecoder()
        let id = try row.text("id")
        let stored = try RunState.stored(try row.text("state"), of: "run \(id)")
        let heartbeat = try row.double("heartbeat_at")
        let stale = stored == .running && (Self.processIsGone(row) || now() - heartbeat > staleAfter)
        return RunInfo(id: id, project: try row.text("project"), name: try row.text("name"), group: try row.optionalText("group_name"),
                       tags: (try? decoder.decode([String].self, from: Data(try row.text("tags").utf8))) ?? [],
                       notes: try row.text("notes"), config: Self.config(try row.text("config")),
                       state: stale ? .crashed : stored, error: try row.optionalText("error"), createdAt: try row.double("created_at"),
                       endedAt: try row.optionalDouble("ended_at"), heartbeatAt: heartbeat, host: try row.text("host"), command: try row.text("command"),
                       gitCommit: try row.optionalText("git_commit"), sweepID: try row.optionalText("sweep_id"), trial: try row.optionalInt("trial"),
                       summary: summary)
    }
}
