import Foundation

/// The row that registers a run, written by the run's writer in its first transaction (so
/// `Tracker.start` never waits for the store's write lock, nor encodes JSON).
struct RunRecord: Sendable {
    var id: String
    var project: String
    var name: String
    var group: String?
    var tags: [String]
    var notes: String
    var config: RunConfig
    var createdAt: Double
    var host: String
    var command: String
    var gitCommit: String?
    var sweepID: String?
    var trial: Int?
    /// The process logging the run (see `ProcessIdentity`).
    var process: ProcessIdentity? = ProcessIdentity.current

    func insert(_ db: any StoreTransaction) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // JSON has no NaN or infinities: such config values are stored as strings.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let tagsJSON = String(decoding: try encoder.encode(tags), as: UTF8.self)
        let configJSON = JSONText.config(config)
        try db.execute("""
            INSERT INTO run (id, project, name, group_name, tags, notes, config, state, created_at, heartbeat_at, host, command, git_commit, sweep_id, trial,
                             pid, boot_id, process_start)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO NOTHING
            """, id, project, name, group, tagsJSON, notes, configJSON, createdAt, createdAt, host, command, gitCommit, sweepID, trial,
            process?.pid, process?.bootID, process?.startTicks)
    }
}
