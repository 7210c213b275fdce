import Charts
import Foundation
import GRDB

/// The run store: where runs, their histories, sweeps and trials are kept, on one of two
/// engines with the same schema. Embedded by default: one SQLite file (`temper.sqlite`) in the
/// store directory (`SQLiteEngine`). For many machines: a PostgreSQL database, named by a
/// `postgres://user:password@host:port/database` URL (the `TrackingPostgres` module registers
/// that engine with `StoreEngines`).
///
/// The directory is `--dir`, else `TEMPER_DIR`, else `./temper-runs`; a store URL is `--store`,
/// else `TEMPER_STORE`. A file at the path that is not a SQLite database, or a SQLite database of
/// something else, is an error — never replaced.
///
/// Opened `.readOnly` (what every command that only reads does), the store is never written,
/// created or migrated: another program's database, an empty file or a store the user may only
/// read stay byte for byte as they were, and reads never wait for a writer's lock.
public final class RunStore: @unchecked Sendable {
    /// The file name inside the store directory.
    public static let fileName = "temper.sqlite"

    /// Whether a store may be written.
    public enum Access: Sendable {
        /// Created and migrated when needed; runs are written.
        case readWrite
        /// Must exist; opened read-only, never migrated nor written.
        case readOnly
    }

    /// The store directory (SQLite), or the store's URL without its password (PostgreSQL).
    public let directory: String
    /// The store file's absolute path (SQLite), or the store's URL without its password.
    public let path: String
    public let access: Access
    /// The database engine the store is on.
    public let engine: any StoreEngine
    /// The location as given (a directory, or a URL with its password): what a program this one
    /// starts is told to open (`TEMPER_STORE`).
    public private(set) var address: String
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

    /// Opens the SQLite store in `directory`. Read-write, it is created when absent — unless
    /// `mustExist` (a mistyped `--dir` is then an error, not a new empty store). Read-only, it must
    /// exist.
    public convenience init(directory: String? = nil, access: Access = .readWrite, staleAfter: TimeInterval = 60, busyTimeout: TimeInterval = 30,
                            mustExist: Bool = false) throws {
        let directory = RunStore.defaultDirectory(directory)
        let path = Self.filePath(directory: directory)
        if mustExist || access == .readOnly {
            try StoreFile.checkExists(directory: directory, path: path)
        } else {
            try StoreFile.makeDirectory(directory)
        }
        try StoreFile.checkExistingFile(path, access: access)
        let engine = try SQLiteEngine(path: path, readOnly: access == .readOnly, mustExist: mustExist, busyTimeout: busyTimeout)
        self.init(engine: engine, directory: directory, staleAfter: staleAfter)
        address = (path as NSString).deletingLastPathComponent
    }

    /// Opens the store at `location`: a store URL (`postgres://…`, through the engine registered
    /// for its scheme) or a directory. Without one, `TEMPER_STORE`, else the directory as
    /// `defaultDirectory`.
    public convenience init(location: String?, access: Access = .readWrite, staleAfter: TimeInterval = 60, mustExist: Bool = false,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let location = StoreLocation(location, environment: environment)
        switch location {
        case .directory(let directory):
            try self.init(directory: directory, access: access, staleAfter: staleAfter, mustExist: mustExist)
        case .invalidURL(let text):
            // Not echoed: a password may be in it, and where it ends cannot be told.
            _ = text
            throw TrackingError.storeLocation("the store URL given is not a valid URL (no space around it, scheme://…); write postgres://user:password@host:port/database, with /, ?, #, @ and : in the user or password percent-encoded (%2F, %3F, %23, %40, %3A)")
        case .url(let url):
            let engine = try StoreEngines.open(url, access: access, mustExist: mustExist)
            self.init(engine: engine, directory: engine.location, staleAfter: staleAfter)
            address = url.string ?? engine.location
        }
    }

    /// A store on an engine opened by the caller (a `PostgresEngine`, say).
    public init(engine: any StoreEngine, directory: String? = nil, staleAfter: TimeInterval = 60) {
        self.engine = engine
        self.directory = directory ?? engine.location
        self.path = engine.location
        self.access = engine.isReadOnly ? .readOnly : .readWrite
        self.staleAfter = staleAfter
        self.address = directory ?? engine.location
    }

    /// Runs `body` in a write transaction (immediate: what claiming a trial needs), retried
    /// while the store is busy.
    @discardableResult
    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        guard access == .readWrite else {
            throw TrackingError.storeLocation("\(path) was opened read-only; open it with RunStore(access: .readWrite) to change it")
        }
        return try engine.write(body)
    }

    /// Runs `body` on a snapshot that includes everything this process's runs have logged in
    /// this store (their writers are asked to write it first; not with `settling: false`, for
    /// reads that do not look at what runs logged).
    func read<T>(settling: Bool = true, _ body: (any StoreTransaction) throws -> T) throws -> T {
        if settling { LiveRuns.shared.settle(storePath: path) }
        return try engine.read(body)
    }

    /// Seconds since 1970 by the store's clock.
    public func now() -> Double { engine.now() }

    /// Changes whenever something was committed to the store.
    public func changeToken() throws -> String { try engine.changeToken() }
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
