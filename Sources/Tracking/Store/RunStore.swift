import Charts
import Foundation
import GRDB

/// The run store: one SQLite file (`temper.sqlite`) in the store directory, in WAL mode, with
/// versioned migrations. Several processes may write at once: every connection waits up to
/// `busyTimeout` for the lock, transactions are short, and writes are retried.
///
/// The directory is `--dir`, else `TEMPER_DIR`, else `./temper-runs`. A file at the path that is not
/// a SQLite database, or a SQLite database of something else, is an error — never replaced.
///
/// Opened `.readOnly` (what every command that only reads does), the store is never written,
/// created or migrated: the file is opened read-only, so another program's database, an empty
/// file or a store the user may only read stay byte for byte as they were, and reads never wait
/// for a writer's lock.
public final class RunStore: @unchecked Sendable {
    /// `PRAGMA application_id` of a Temper store ("TMPR").
    static let applicationID: Int32 = 0x544D_5052
    /// The file name inside the store directory.
    public static let fileName = "temper.sqlite"

    /// Whether a store may be written.
    public enum Access: Sendable {
        /// Created and migrated when needed; runs are written.
        case readWrite
        /// Must exist; opened read-only, never migrated nor written.
        case readOnly
    }

    public let directory: String
    /// The store file's absolute path.
    public let path: String
    public let access: Access
    let database: any DatabaseWriter
    /// Read-only: the connection reads go through, reopened when the file changed under it.
    private let reader: ReadOnlyConnection?
    /// A run still `running` whose heartbeat is older than this is shown as `crashed`.
    public let staleAfter: TimeInterval

    /// The store directory from an explicit `--dir`, the `TEMPER_DIR` variable, or `./temper-runs`.
    public static func defaultDirectory(_ explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        explicit ?? environment["TEMPER_DIR"] ?? "temper-runs"
    }

    /// The absolute path of the store file in `directory` (default: as `defaultDirectory`).
    public static func filePath(directory: String? = nil) -> String {
        StoreFile.absolutePath((defaultDirectory(directory) as NSString).appendingPathComponent(fileName))
    }

    /// Opens the store in `directory`. Read-write, it is created when absent — unless `mustExist`
    /// (a mistyped `--dir` is then an error, not a new empty store). Read-only, it must exist.
    public init(directory: String? = nil, access: Access = .readWrite, staleAfter: TimeInterval = 60, busyTimeout: TimeInterval = 30,
                mustExist: Bool = false) throws {
        let directory = RunStore.defaultDirectory(directory)
        self.directory = directory
        self.staleAfter = staleAfter
        self.access = access
        let path = Self.filePath(directory: directory)
        self.path = path
        if mustExist || access == .readOnly {
            try StoreFile.checkExists(directory: directory, path: path)
        } else {
            try StoreFile.makeDirectory(directory)
        }
        try StoreFile.checkExistingFile(path, access: access)
        do {
            switch access {
            case .readOnly:
                let connection = try ReadOnlyConnection(path: path, busyTimeout: busyTimeout)
                self.reader = connection
                database = try connection.current()
                try Self.checkIdentity(database, path: path, access: access)
                try Self.checkSchemaVersion(database, path: path)
            case .readWrite:
                try StoreFile.checkWritable(path: path, directory: (path as NSString).deletingLastPathComponent)
                if let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int), size > 0 {
                    // Another program's database, or one from a newer Temper, is refused before
                    // anything is written to it (opening to write switches it to WAL).
                    let reader = try StoreFile.openReadOnly(path: path, busyTimeout: busyTimeout, immutableAllowed: false)
                    try Self.checkIdentity(reader, path: path, access: .readWrite)
                    try Self.checkSchemaVersion(reader, path: path)
                    try reader.close()
                } else if mustExist {
                    throw TrackingError.foreignStore("\(path) is an empty file, not a Temper run store; runs are recorded by `temper casestudy batchnorm` or `Tracker(dir:)`")
                }
                let pool = try StoreFile.openReadWrite(path: path, busyTimeout: busyTimeout)
                database = pool
                self.reader = nil
                try Self.checkIdentity(pool, path: path, access: access)
                try Self.checkSchemaVersion(pool, path: path)
                try Self.migrate(pool)
                OpenStores.shared.insert(pool)
            }
        } catch let error as TrackingError {
            throw error
        } catch let error as DatabaseError {
            throw StoreFile.openError(error, path: path)
        } catch {
            throw TrackingError.database("cannot open \(path): \(error)")
        }
    }

    /// A database that has tables but not Temper's application id belongs to something else.
    private static func checkIdentity(_ database: any DatabaseReader, path: String, access: Access) throws {
        try database.read { db in
            let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'")
            if id != applicationID && !tables.isEmpty {
                throw TrackingError.foreignStore("\(path) is a SQLite database of something else (tables: \(tables.prefix(5).joined(separator: ", "))); move it away or pass --dir for another store")
            }
            if id != applicationID && access == .readOnly {
                throw TrackingError.foreignStore("\(path) is an empty SQLite database, not a Temper run store; runs are recorded by `temper casestudy batchnorm` or `Tracker(dir:)`")
            }
        }
    }

    /// A store whose schema has migrations this version does not know was written by another
    /// (newer, or development) version of Temper: migrating it would fail or lose data.
    private static func checkSchemaVersion(_ database: any DatabaseReader, path: String) throws {
        try database.read { db in
            guard try db.tableExists("grdb_migrations") else { return }
            let known = Set(Schema.migrator.migrations)
            let unknown = try Schema.migrator.appliedIdentifiers(db).subtracting(known).sorted()
            if !unknown.isEmpty {
                throw TrackingError.incompatibleStore("\(path) has a schema this version of Temper does not know (migrations: \(unknown.joined(separator: "; "))); open it with the Temper that wrote it, or pass --dir for another store")
            }
        }
    }

    /// Applies the schema migrations. GRDB reads which migrations are applied once, before it takes
    /// the write lock for each, so two processes opening a new store at once can both start the
    /// same migration; the second one's transaction fails and rolls back. The other process may not
    /// have completed the migrations yet (it may be between two of them, or stalled on a loaded
    /// machine): so the migrations are applied again from those applied now, for as long as another
    /// process applies some meanwhile (at most once per migration). A failure while no other
    /// process made progress is a failure.
    private static func migrate(_ pool: DatabasePool) throws {
        var applied = try pool.read { try Schema.migrator.appliedIdentifiers($0) }
        while true {
            do {
                try Schema.migrator.migrate(pool)
                return
            } catch {
                let now = try pool.read { try Schema.migrator.appliedIdentifiers($0) }
                if try pool.read({ try Schema.migrator.hasCompletedMigrations($0) }) { return }
                guard now.isStrictSuperset(of: applied) else { throw error }
                applied = now
            }
        }
    }

    /// Runs `body` in a write transaction, retrying when another process holds the lock longer
    /// than the busy timeout.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try retryingWhileLocked { try database.write(body) }
    }

    /// Runs `body` in an immediate transaction (the write lock taken at its start, so a read in it
    /// is never outdated by another process's write before its own write): what claiming a trial
    /// needs. Retried like `write`.
    func writeImmediate<T>(_ body: (Database) throws -> T) throws -> T {
        try retryingWhileLocked {
            try database.writeWithoutTransaction { db -> T in
                var result: Result<T, Error>?
                try db.inTransaction(.immediate) {
                    result = Result { try body(db) }
                    if case .failure = result { return .rollback }
                    return .commit
                }
                guard let result else { throw TrackingError.database("an immediate transaction on \(path) ended without a result") }
                return try result.get()
            }
        }
    }

    /// Runs a write, again (up to 8 times, waiting longer each time) while the store stays locked
    /// by another process past the busy timeout; an error on a store opened read-only.
    private func retryingWhileLocked<T>(_ write: () throws -> T) throws -> T {
        guard access == .readWrite else {
            throw TrackingError.storeLocation("\(path) was opened read-only; open it with RunStore(access: .readWrite) to change it")
        }
        var attempt = 0
        while true {
            do {
                return try write()
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                attempt += 1
                if attempt >= 8 { throw TrackingError.database("the store stayed locked after \(attempt) attempts: \(error.message ?? "")") }
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
            }
        }
    }

    /// Runs `body` on a snapshot that includes everything this process's runs have logged in
    /// this store (their writers are asked to write it first; not with `settling: false`, for
    /// reads that do not look at what runs logged).
    func read<T>(settling: Bool = true, _ body: (Database) throws -> T) throws -> T {
        if settling { LiveRuns.shared.settle(storePath: path) }
        do {
            guard let reader else { return try database.read(body) }
            do {
                return try reader.current().read(body)
            } catch let error as DatabaseError where (error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB) && reader.isStale {
                // Read as an immutable file, the store changed under the reader (a writer came
                // between the check and the read): read it once more, as it is now.
                return try reader.current().read(body)
            }
        } catch let error as TrackingError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
            throw TrackingError.corruptStore("\(path) is damaged (\(error.message ?? "\(error.resultCode)")); what can still be read is read by `sqlite3 \(path) .recover`")
        } catch {
            throw TrackingError.database("\(error)")
        }
    }
}

/// The stores this process opened to write, closed at a normal exit (after this process's runs are
/// written), so that SQLite checkpoints the write-ahead log into the store file and removes the
/// `-wal` and `-shm` files: the store is then one file again, which readers open without creating
/// anything beside it.
final class OpenStores: @unchecked Sendable {
    static let shared = OpenStores()
    private let lock = NSLock()
    private var pools: [WeakPool] = []

    private struct WeakPool {
        weak var pool: DatabasePool?
    }

    func insert(_ pool: DatabasePool) {
        lock.lock()
        pools.removeAll { $0.pool == nil }
        pools.append(WeakPool(pool: pool))
        lock.unlock()
        _ = LiveRuns.shared  // its exit handler closes the stores
    }

    /// Whether the process is exiting and its stores were closed (writers left running then stop quietly).
    var closedForExit: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }
    private var closed = false

    func closeAll() {
        lock.lock()
        let open = pools.compactMap(\.pool)
        pools = []
        closed = true
        lock.unlock()
        for pool in open {
            // Fold the log into the file first: the close below skips that when a reader of
            // another process holds the log.
            _ = try? pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            // `close()` closes the writer before the readers (GRDB), so the writer is not the last
            // connection and cannot remove the log, and the last one, read-only, cannot either:
            // the readers are closed first (what `releaseMemory` does), as when a pool is freed.
            pool.releaseMemory()
            try? pool.close()
        }
    }
}
