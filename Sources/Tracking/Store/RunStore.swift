import Charts
import Foundation
import GRDB

/// The run store: one SQLite file (`temper.sqlite`) in the store directory, in WAL mode, with
/// versioned migrations. Several processes may write at once: every connection waits up to
/// `busyTimeout` for the lock, transactions are short, and writes are retried.
///
/// The directory is `--dir`, else `TEMPER_DIR`, else `./temper-runs`. A file at the path that is not
/// a SQLite database, or a SQLite database of something else, is an error — never replaced.
public final class RunStore: @unchecked Sendable {
    /// `PRAGMA application_id` of a Temper store ("TMPR").
    static let applicationID: Int32 = 0x544D_5052
    /// The file name inside the store directory.
    public static let fileName = "temper.sqlite"

    public let directory: String
    public var path: String { (directory as NSString).appendingPathComponent(Self.fileName) }
    let pool: DatabasePool
    /// A run still `running` whose heartbeat is older than this is shown as `crashed`.
    public let staleAfter: TimeInterval

    /// The store directory from an explicit `--dir`, the `TEMPER_DIR` variable, or `./temper-runs`.
    public static func defaultDirectory(_ explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        explicit ?? environment["TEMPER_DIR"] ?? "temper-runs"
    }

    /// Opens the store in `directory`, creating it when absent — unless `mustExist` (what the
    /// commands that only read or delete runs pass: a mistyped `--dir` is an error, not a new
    /// empty store).
    public init(directory: String? = nil, staleAfter: TimeInterval = 60, busyTimeout: TimeInterval = 30, mustExist: Bool = false) throws {
        let directory = RunStore.defaultDirectory(directory)
        self.directory = directory
        self.staleAfter = staleAfter
        if mustExist && !FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(Self.fileName)) {
            throw TrackingError.storeLocation("no run store in \(directory) (no \(Self.fileName)); runs are recorded there by `temper casestudy batchnorm` or `Tracker(dir:)`; pass --dir or set TEMPER_DIR to read another directory")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw TrackingError.storeLocation("\(directory) is a file, not a directory; pass --dir (or TEMPER_DIR) naming a directory for the run store")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw TrackingError.storeLocation("cannot create \(directory): \(error.localizedDescription)")
            }
        }
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        try Self.checkExistingFile(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "temper-run-store"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            pool = try Self.openPool(path: path, configuration: configuration, patience: busyTimeout)
            try Self.checkIdentity(pool, path: path)
            try Self.checkSchemaVersion(pool, path: path)
            try Self.migrate(pool)
        } catch let error as TrackingError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
            throw TrackingError.corruptStore("\(path) is not a readable SQLite database (\(error.message ?? "\(error.resultCode)")); move it away or pass --dir for another store")
        } catch {
            throw TrackingError.database("cannot open \(path): \(error)")
        }
    }

    /// A file that exists must start like a SQLite database.
    private static func checkExistingFile(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if header.isEmpty { return }  // an empty file is an empty database: nothing is lost
        guard header.count == 16, header == Data("SQLite format 3\0".utf8) else {
            throw TrackingError.corruptStore("\(path) is not a SQLite database (it starts with \(header.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " "))); move it away or pass --dir for another store")
        }
    }

    /// A database that has tables but not Temper's application id belongs to something else.
    private static func checkIdentity(_ pool: DatabasePool, path: String) throws {
        try pool.read { db in
            let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'")
            if id != applicationID && !tables.isEmpty {
                throw TrackingError.foreignStore("\(path) is a SQLite database of something else (tables: \(tables.prefix(5).joined(separator: ", "))); move it away or pass --dir for another store")
            }
        }
    }

    /// A store whose schema has migrations this version does not know was written by another
    /// (newer, or development) version of Temper: migrating it would fail or lose data.
    private static func checkSchemaVersion(_ pool: DatabasePool, path: String) throws {
        try pool.read { db in
            guard try db.tableExists("grdb_migrations") else { return }
            let known = Set(Schema.migrator.migrations)
            let unknown = try Schema.migrator.appliedIdentifiers(db).subtracting(known).sorted()
            if !unknown.isEmpty {
                throw TrackingError.incompatibleStore("\(path) has a schema this version of Temper does not know (migrations: \(unknown.joined(separator: "; "))); open it with the Temper that wrote it, or pass --dir for another store")
            }
        }
    }

    /// Opens the pool. Switching a new store to WAL (`PRAGMA journal_mode`) needs a lock SQLite
    /// does not wait for, so when several processes open a new store at once it can fail with
    /// "database is locked": then it is tried again, for up to `patience` seconds.
    private static func openPool(path: String, configuration: Configuration, patience: TimeInterval) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(patience)
        var pause = 0.005
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && Date() < deadline {
                Thread.sleep(forTimeInterval: pause)
                pause = Swift.min(pause * 2, 0.2)
            }
        }
    }

    /// Applies the schema migrations. GRDB reads which migrations are applied before it takes the
    /// write lock, so two processes opening a new store at once can both start the same migration;
    /// the second one's transaction fails and rolls back. When the other process has completed the
    /// migrations meanwhile, that failure is no failure.
    private static func migrate(_ pool: DatabasePool) throws {
        do {
            try Schema.migrator.migrate(pool)
        } catch {
            guard try pool.read({ try Schema.migrator.hasCompletedMigrations($0) }) else { throw error }
        }
    }

    /// Runs `body` in a write transaction, retrying when another process holds the lock longer
    /// than the busy timeout.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        var attempt = 0
        while true {
            do {
                return try pool.write(body)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                attempt += 1
                if attempt >= 8 { throw TrackingError.database("the store stayed locked after \(attempt) attempts: \(error.message ?? "")") }
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
            }
        }
    }

    /// Runs `body` on a snapshot that includes everything this process's runs have logged in
    /// this store (their writers are asked to write it first).
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        LiveRuns.shared.settle(storePath: path)
        do {
            return try pool.read(body)
        } catch let error as TrackingError {
            throw error
        } catch {
            throw TrackingError.database("\(error)")
        }
    }
}
