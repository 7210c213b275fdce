import Foundation

/// Copies sweeps and runs from one store to another (SQLite ↔ PostgreSQL, or between two of
/// either) without loss: every column of every row as stored — ids, configurations, histories
/// with their times, histograms and JSON byte for byte, numbers bit for bit. A sweep or run the
/// target already holds (same id) is left as it is and counted as skipped, so a copy interrupted
/// halfway is finished by running it again. Each run is copied in one transaction of the target.
public enum StoreCopy {
    /// What a copy did.
    public struct Report: Sendable, Equatable {
        public var sweeps = 0, trials = 0, runs = 0, skippedSweeps = 0, skippedRuns = 0
        /// Rows of history, summaries, histograms and system metrics copied.
        public var rows = 0
    }

    /// The columns copied per table (a PostgreSQL store's `seq`, SQLite's `rowid` are the target's own).
    static let columns: [(table: String, columns: [String])] = [
        ("sweep", ["id", "project", "name", "method", "config", "state", "created_at", "seed", "spec_hash", "ended_at"]),
        ("trial", ["sweep_id", "number", "config", "seed", "state", "attempt", "score", "error", "claimed_at", "heartbeat_at", "ended_at",
                   "host", "pid", "boot_id", "process_start"]),
        ("run", ["id", "project", "name", "group_name", "tags", "notes", "config", "state", "error", "created_at", "ended_at", "heartbeat_at",
                 "host", "command", "git_commit", "sweep_id", "trial", "pid", "boot_id", "process_start"]),
        ("history", ["run_id", "step", "data", "time"]),
        ("summary", ["run_id", "key", "last", "last_step", "min", "max", "count"]),
        ("histogram", ["run_id", "step", "data"]),
        ("system_metric", ["run_id", "time", "key", "value"]),
    ]

    static func columns(of table: String) -> [String] { columns.first { $0.table == table }?.columns ?? [] }

    /// Copies every sweep (with its trials) and every run (with all it logged) of `source` that
    /// `target` lacks; a sweep or run the target holds as `running` while the source has it ended
    /// (it was copied while it ran) is copied again. `progress` is told after each run.
    public static func copy(from source: RunStore, to target: RunStore, progress: (Report) -> Void = { _ in }) throws -> Report {
        guard source.path != target.path else {
            throw TrackingError.storeLocation("the source and the target are the same store (\(source.path))")
        }
        var report = Report()
        let states = { (db: any StoreTransaction, table: String) throws -> [(id: String, state: String)] in
            try db.fetch("SELECT id, state FROM \(table) ORDER BY created_at, id", []).map { (try $0.text("id"), try $0.text("state")) }
        }
        // One snapshot: every run's sweep is among the sweeps.
        let (sweeps, runs, present) = try source.read { db in (try states(db, "sweep"), try states(db, "run"), try presentColumns(db)) }
        let (haveSweeps, haveRuns) = try target.read { db in
            (Dictionary(try states(db, "sweep"), uniquingKeysWith: { a, _ in a }), Dictionary(try states(db, "run"), uniquingKeysWith: { a, _ in a }))
        }
        let copied = { (table: String) in columns(of: table).filter { present[table]?.contains($0) ?? false } }
        for sweep in sweeps {
            let stale = haveSweeps[sweep.id] == "running" && sweep.state != "running"
            if haveSweeps[sweep.id] != nil && !stale { report.skippedSweeps += 1; continue }
            let (row, trials) = try source.read { db in
                (try select("sweep", copied("sweep"), db, where: "id = ?", sweep.id), try select("trial", copied("trial"), db, where: "sweep_id = ?", sweep.id, order: "number"))
            }
            let ended = copied("sweep").firstIndex(of: "ended_at").flatMap { row.first?[$0] } ?? .null
            try target.write { db in
                if stale {
                    // The sweep's row keeps its id (its runs point to it); its trials are replaced.
                    try db.execute("DELETE FROM trial WHERE sweep_id = ?", sweep.id)
                    try db.execute("UPDATE sweep SET state = ?, ended_at = ? WHERE id = ?", [.text(sweep.state), ended, .text(sweep.id)])
                } else {
                    try db.insert(into: "sweep", columns: copied("sweep"), rows: row, suffix: "")
                }
                try db.insert(into: "trial", columns: copied("trial"), rows: trials, suffix: "")
            }
            report.sweeps += 1
            report.trials += trials.count
        }
        for run in runs {
            let stale = haveRuns[run.id] == "running" && run.state != "running"
            if haveRuns[run.id] != nil && !stale { report.skippedRuns += 1; continue }
            let parts = try source.read { db -> [(String, [[StoreValue]])] in
                let order = "step, \(db.dialect.writeOrder)"
                return [("run", try select("run", copied("run"), db, where: "id = ?", run.id)),
                        ("history", try select("history", copied("history"), db, where: "run_id = ?", run.id, order: order)),
                        ("summary", try select("summary", copied("summary"), db, where: "run_id = ?", run.id, order: "key")),
                        ("histogram", try select("histogram", copied("histogram"), db, where: "run_id = ?", run.id, order: order)),
                        ("system_metric", try select("system_metric", copied("system_metric"), db, where: "run_id = ?", run.id, order: "key, time"))]
            }
            try target.write { db in
                if stale { try db.execute("DELETE FROM run WHERE id = ?", run.id) }  // with what it logged (ON DELETE CASCADE)
                for (table, values) in parts { try db.insert(into: table, columns: copied(table), rows: values, suffix: "") }
            }
            report.runs += 1
            report.rows += parts.dropFirst().reduce(0) { $0 + $1.1.count }
            progress(report)
        }
        return report
    }

    /// The columns each table has in this store (an older SQLite store lacks some: they are left
    /// to the target's defaults).
    private static func presentColumns(_ db: any StoreTransaction) throws -> [String: Set<String>] {
        var present: [String: Set<String>] = [:]
        for (table, _) in columns {
            let sql: String
            switch db.dialect {
            case .sqlite: sql = "SELECT name FROM pragma_table_info(?)"
            case .postgres: sql = "SELECT column_name::text AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?"
            }
            present[table] = Set(try db.fetch(sql, [.text(table)]).map { try $0.text("name") })
        }
        return present
    }

    private static func select(_ table: String, _ columns: [String], _ db: any StoreTransaction, where condition: String, _ argument: String,
                               order: String? = nil) throws -> [[StoreValue]] {
        let sql = "SELECT \(columns.joined(separator: ", ")) FROM \(table) WHERE \(condition)" + (order.map { " ORDER BY \($0)" } ?? "")
        return try db.fetch(sql, [.text(argument)]).map(\.values)
    }
}
