import Foundation
import GRDB

/// Starts runs in a run store (W&B's `wandb.init`, local and offline):
///
/// ```swift
/// let run = try Tracker(dir: "temper-runs").start(project: "lesson04_bn", name: "bn-after",
///                                                 config: ["layer_1": 50, "learn_rate": 0.01], tags: ["bn"])
/// run.log(["loss": 0.42, "accuracy": 0.81], step: 3)
/// run.logHistogram(name: "parameters/dense/kernel", values: kernel, step: 3)
/// try run.finish()
/// ```
public final class Tracker: Sendable {
    public let store: RunStore
    /// How often logged rows are written (at most this old when a process dies).
    public let flushInterval: TimeInterval
    /// How often a live run refreshes its heartbeat.
    public let heartbeatInterval: TimeInterval
    /// How often system metrics (CPU, memory) are sampled; nil turns sampling off.
    public let systemMetricsInterval: TimeInterval?

    /// - Parameter dir: the store directory (default: `TEMPER_DIR`, else `./temper-runs`).
    public init(dir: String? = nil, flushInterval: TimeInterval = 1, heartbeatInterval: TimeInterval = 5,
                systemMetricsInterval: TimeInterval? = 10, staleAfter: TimeInterval = 60) throws {
        store = try RunStore(directory: dir, staleAfter: staleAfter)
        self.flushInterval = flushInterval
        self.heartbeatInterval = heartbeatInterval
        self.systemMetricsInterval = systemMetricsInterval
    }

    /// Creates a run (state `running`) with its configuration, the host, the command line and the
    /// git commit of the working directory (if it is a repository).
    public func start(project: String, name: String? = nil, config: RunConfig = [:], tags: [String] = [], group: String? = nil,
                      notes: String = "", sweep: (id: String, trial: Int)? = nil) throws -> Run {
        let id = Self.newID()
        let name = name ?? "run-\(id)"
        let now = Date().timeIntervalSince1970
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let configJSON = String(decoding: try encoder.encode(config), as: UTF8.self)
        let tagsJSON = String(decoding: try encoder.encode(tags), as: UTF8.self)
        try store.write { db in
            try db.execute(sql: """
                INSERT INTO run (id, project, name, group_name, tags, notes, config, state, created_at, heartbeat_at, host, command, git_commit, sweep_id, trial)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, project, name, group, tagsJSON, notes, configJSON, now, now, ProcessInfo.processInfo.hostName,
                                 CommandLine.arguments.map(Self.quoted).joined(separator: " "), Self.gitCommit, sweep?.id, sweep?.trial])
        }
        return Run(id: id, project: project, name: name, store: store, flushInterval: flushInterval,
                   heartbeatInterval: heartbeatInterval, systemMetricsInterval: systemMetricsInterval)
    }

    /// An 8-character lowercase base-36 id (W&B's form).
    static func newID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<8).map { _ in alphabet[Int(generator.next() % 36)] })
    }

    private static func quoted(_ argument: String) -> String {
        argument.contains(where: { $0 == " " || $0 == "\"" }) ? "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'" : argument
    }

    /// The commit of the working directory's repository, looked up once per process.
    static let gitCommit: String? = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "HEAD"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let commit = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.count == 40 ? commit : nil
    }()
}
