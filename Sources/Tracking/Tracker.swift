import Foundation

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
    /// How often a run writes what was logged (the most a killed process can lose).
    public let flushInterval: TimeInterval
    /// How often a live run refreshes its heartbeat when nothing is being logged (every write
    /// refreshes it too).
    public let heartbeatInterval: TimeInterval
    /// How often system metrics (CPU, memory) are sampled; nil turns sampling off.
    public let systemMetricsInterval: TimeInterval?
    /// Buffers for the histogram values of this tracker's runs, reused from run to run.
    let buffers = FloatBufferPool()
    /// The threads that run this tracker's run writers, reused from run to run.
    let writers = WriterThreads()
    /// Writes of this tracker's runs that failed for good.
    let failures = WriteFailures()
    /// Sweeps found in the store (checked once, not at every trial's run).
    private let knownSweeps = LockedSet()
    /// Told when a run's writes start failing, recover, or fail for good.
    let warn: @Sendable (String) -> Void

    /// Prints a warning on standard error, prefixed `temper:` (the default for `warnings`).
    public static let standardErrorWarning: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data("temper: \(message)\n".utf8))
    }

    /// - Parameters:
    ///   - dir: the store: a directory, or a `postgres://user:password@host:port/database` URL
    ///     (with `TrackingPostgres.PostgresEngine.register()` called first); default:
    ///     `TEMPER_STORE`, else `TEMPER_DIR`, else `./temper-runs`.
    ///   - warnings: told (in a sentence naming the run, the store and the cause) when a run's writes
    ///     start failing (the disk full, the file damaged …: the rows are kept and retried every
    ///     second), succeed again, or fail for good at the end; standard error by default.
    public convenience init(dir: String? = nil, flushInterval: TimeInterval = 0.5, heartbeatInterval: TimeInterval = 5,
                            systemMetricsInterval: TimeInterval? = 10, staleAfter: TimeInterval = 60,
                            warnings: @escaping @Sendable (String) -> Void = Tracker.standardErrorWarning) throws {
        try self.init(store: RunStore(location: dir, staleAfter: staleAfter), flushInterval: flushInterval, heartbeatInterval: heartbeatInterval,
                      systemMetricsInterval: systemMetricsInterval, warnings: warnings)
    }

    /// A tracker of runs in `store` (opened read-write).
    public init(store: RunStore, flushInterval: TimeInterval = 0.5, heartbeatInterval: TimeInterval = 5,
                systemMetricsInterval: TimeInterval? = 10, warnings: @escaping @Sendable (String) -> Void = Tracker.standardErrorWarning) {
        self.store = store
        warn = warnings
        self.flushInterval = flushInterval
        self.heartbeatInterval = heartbeatInterval
        self.systemMetricsInterval = systemMetricsInterval
    }

    /// Creates a run (state `running`) with its configuration, the host, the command line and the
    /// git commit of the working directory (if it is a repository). The run's writer registers it
    /// in the store at once, in its first transaction; a sweep it belongs to must exist.
    ///
    /// In a program that a sweep runs (`temper sweep` sets `TEMPER_RUN_ID`, `TEMPER_SWEEP_ID` and
    /// `TEMPER_TRIAL`), the run is the trial's: it takes that id, sweep and trial, and what it
    /// logs goes to the trial's run (which the sweep registered first, with the trial's config).
    /// `environment` is the process's unless given.
    public func start(project: String, name: String? = nil, config: RunConfig = [:], tags: [String] = [], group: String? = nil,
                      notes: String = "", sweep: (id: String, trial: Int)? = nil,
                      environment: [String: String]? = nil) throws -> Run {
        var sweep = sweep
        var id = Self.newID()
        // The environment is read only for a run not given its sweep (building it costs ~20 µs).
        if sweep == nil, let environment = environment ?? Optional(ProcessInfo.processInfo.environment),
           let runID = environment["TEMPER_RUN_ID"], let sweepID = environment["TEMPER_SWEEP_ID"],
           let trial = environment["TEMPER_TRIAL"].flatMap(Int.init) {
            id = runID
            sweep = (sweepID, trial)
        }
        return try start(id: id, project: project, name: name, config: config, tags: tags, group: group, notes: notes, sweep: sweep)
    }

    /// Starts a run with a given id (a sweep registers a trial's run under the id it gives the
    /// program). When a run with that id exists, what is logged goes to it.
    public func start(id: String, project: String, name: String? = nil, config: RunConfig = [:], tags: [String] = [], group: String? = nil,
                      notes: String = "", sweep: (id: String, trial: Int)?) throws -> Run {
        let name = name ?? "run-\(id)"
        if let sweep, !knownSweeps.contains(sweep.id) {
            let exists = try store.read(settling: false) { db in try !db.fetch("SELECT 1 FROM sweep WHERE id = ?", sweep.id).isEmpty }
            guard exists else { throw TrackingError.unknownRun("no sweep \"\(sweep.id)\" in \(store.path) for run \"\(name)\"; create the sweep first") }
            knownSweeps.insert(sweep.id)
        }
        let record = RunRecord(id: id, project: project, name: name, group: group,
                               tags: tags, notes: notes, config: config,
                               createdAt: store.now(), host: Self.host, command: Self.command, gitCommit: Self.gitCommit,
                               sweepID: sweep?.id, trial: sweep?.trial)
        return Run(record: record, store: store, flushInterval: flushInterval, heartbeatInterval: heartbeatInterval,
                   systemMetricsInterval: systemMetricsInterval, buffers: buffers, writers: writers, failures: failures, warn: warn)
    }

    /// Waits until this process's runs in the store have written what they logged (a finished
    /// run, its end): before another process reads the store, or before timing stops. Throws
    /// `TrackingError.writeFailed` naming every run of this tracker whose writes failed for good
    /// (the disk full, the store damaged …), with the store, the cause and what was lost.
    public func waitUntilWritten() throws {
        LiveRuns.shared.settle(storePath: store.path)
        let failed = failures.all
        guard !failed.isEmpty else { return }
        if failed.count == 1 { throw failed[0] }
        let each = failed.map { error -> String in
            if case .writeFailed(let message) = error { return message }
            return "\(error)"
        }
        throw TrackingError.writeFailed("\(failed.count) runs could not be written whole:\n  " + each.joined(separator: "\n  "))
    }

    /// The writes of this tracker's runs that failed for good so far (see `waitUntilWritten`).
    public var writeFailures: [TrackingError] { failures.all }

    /// This machine's name, looked up once per process.
    static let host = ProcessInfo.processInfo.hostName
    /// This process's command line, shell-quoted where needed.
    /// The command line, with the passwords of store URLs in it replaced by `***`.
    static let command = StoreLocation.redactingPasswords(CommandLine.arguments.map(quoted).joined(separator: " "))

    /// An 8-character lowercase base-36 id (W&B's form), from one 64-bit random number.
    public static func newID() -> String {
        var random = UInt64.random(in: 0...UInt64.max)
        var characters: [UInt8] = []
        characters.reserveCapacity(8)
        for _ in 0..<8 {
            let digit = UInt8(random % 36)
            characters.append(digit < 26 ? UInt8(ascii: "a") + digit : UInt8(ascii: "0") + digit - 26)
            random /= 36
        }
        return String(decoding: characters, as: UTF8.self)
    }

    private static func quoted(_ argument: String) -> String {
        argument.contains(where: { $0 == " " || $0 == "\"" }) ? "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'" : argument
    }

    /// The commit of the working directory's repository, looked up once per process.
    static let gitCommit: String? = GitHead.commit(from: FileManager.default.currentDirectoryPath)
}

/// A set of strings behind a lock.
final class LockedSet: @unchecked Sendable {
    private let lock = NSLock()
    private var items = Set<String>()

    func contains(_ item: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return items.contains(item)
    }

    func insert(_ item: String) {
        lock.lock()
        items.insert(item)
        lock.unlock()
    }
}
