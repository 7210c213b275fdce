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
        /// Rows of history, histograms and system metrics copied.
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
    /// `target` lacks; `progress` is told after each run.
    public static func copy(from source: RunStore, to target: RunStore, progress: (Report) -> Void = { _ in }) throws -> Report {
        guard source.path != target.path else {
            throw TrackingError.storeLocation("the source and the target are the same store (\(source.path))")
        }
        var report = Report()
        let haveSweeps = Set(try target.read { db in try db.fetch("SELECT id FROM sweep", []).map { try $0.text("id") } })
        let haveRuns = Set(try target.read { db in try db.fetch("SELECT id FROM run", []).map { try $0.text("id") } })
        let sweepIDs = try source.read { db in try db.fetch("SELECT id FROM sweep ORDER BY created_at, id", []).map { try $0.text("id") } }
        for id in sweepIDs {
            if haveSweeps.contains(id) { report.skippedSweeps += 1; continue }
            let sweep = try rows("sweep", of: source, where: "id = ?", id)
            let trials = try rows("trial", of: source, where: "sweep_id = ?", id, order: "number")
            try target.write { db in
                try insert("sweep", sweep, db)
                try insert("trial", trials, db)
            }
            report.sweeps += 1
            report.trials += trials.count
        }
        let runIDs = try source.read { db in try db.fetch("SELECT id FROM run ORDER BY created_at, id", []).map { try $0.text("id") } }
        for id in runIDs {
            if haveRuns.contains(id) { report.skippedRuns += 1; continue }
            let parts = try source.read { db -> [(String, [[StoreValue]])] in
                let order = "step, \(db.dialect.writeOrder)"
                return [("run", try select("run", db, where: "id = ?", id)),
                        ("history", try select("history", db, where: "run_id = ?", id, order: order)),
                        ("summary", try select("summary", db, where: "run_id = ?", id, order: "key")),
                        ("histogram", try select("histogram", db, where: "run_id = ?", id, order: order)),
                        ("system_metric", try select("system_metric", db, where: "run_id = ?", id, order: "key, time"))]
            }
            try target.write { db in
                for (table, values) in parts { try insert(table, values, db) }
            }
            report.runs += 1
            report.rows += parts.dropFirst().reduce(0) { $0 + $1.1.count }
            progress(report)
        }
        return report
    }

    private static func rows(_ table: String, of store: RunStore, where condition: String, _ argument: String, order: String? = nil) throws -> [[StoreValue]] {
        try store.read { db in try select(table, db, where: condition, argument, order: order) }
    }

    private static func select(_ table: String, _ db: any StoreTransaction, where condition: String, _ argument: String, order: String? = nil) throws -> [[StoreValue]] {
        let sql = "SELECT \(columns(of: table).joined(separator: ", ")) FROM \(table) WHERE \(condition)" + (order.map { " ORDER BY \($0)" } ?? "")
        return try db.fetch(sql, [.text(argument)]).map(\.values)
    }

    private static func insert(_ table: String, _ rows: [[StoreValue]], _ db: any StoreTransaction) throws {
        try db.insert(into: table, columns: columns(of: table), rows: rows, suffix: "")
    }
}
