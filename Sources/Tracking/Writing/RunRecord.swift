import GRDB

/// The row that registers a run, written by the run's writer in its first transaction (so
/// `Tracker.start` never waits for the store's write lock).
struct RunRecord: Sendable {
    var id: String
    var project: String
    var name: String
    var group: String?
    var tagsJSON: String
    var notes: String
    var configJSON: String
    var createdAt: Double
    var host: String
    var command: String
    var gitCommit: String?
    var sweepID: String?
    var trial: Int?

    func insert(_ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO run (id, project, name, group_name, tags, notes, config, state, created_at, heartbeat_at, host, command, git_commit, sweep_id, trial)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, project, name, group, tagsJSON, notes, configJSON, createdAt, createdAt, host, command, gitCommit, sweepID, trial])
    }
}
