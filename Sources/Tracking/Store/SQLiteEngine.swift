import Foundation
import GRDB
import GRDBSQLite

/// The embedded engine: one SQLite file (`temper.sqlite`) in WAL mode, through GRDB. Several
/// processes may write at once: every connection waits up to `busyTimeout` for the lock,
/// transactions are short and immediate (the write lock taken at their start, so a read in one is
/// never outdated by another process's write), and writes are retried.
///
/// Opened read-only, the file is never written, created or migrated (`ReadOnlyConnection`).
public final class SQLiteEngine: StoreEngine, @unchecked Sendable {
    /// `PRAGMA application_id` of a Temper store ("TMPR").
    static let applicationID: Int32 = 0x544D_5052

    /// The store file's absolute path.
    public let location: String
    public let isReadOnly: Bool
    public var dialect: StoreDialect { .sqlite }
    private let database: any DatabaseWriter
    /// Read-only: the connection reads go through, reopened when the file changed under it.
    private let reader: ReadOnlyConnection?

    /// Opens the store file at `path` (absolute); the directory checks are the caller's.
    init(path: String, readOnly: Bool, mustExist: Bool, busyTimeout: TimeInterval) throws {
        location = path
        isReadOnly = readOnly
        do {
            if readOnly {
                let connection = try ReadOnlyConnection(path: path, busyTimeout: busyTimeout)
                reader = connection
                database = try connection.current()
                try Self.checkIdentity(database, path: path, readOnly: true)
                try Self.checkSchemaVersion(database, path: path)
            } else {
                try StoreFile.checkWritable(path: path, directory: (path as NSString).deletingLastPathComponent)
                if let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int), size > 0 {
                    // Another program's database, or one from a newer Temper, is refused before
                    // anything is written to it (opening to write switches it to WAL).
                    let check = try StoreFile.openReadOnly(path: path, busyTimeout: busyTimeout, immutableAllowed: false)
                    try Self.checkIdentity(check, path: path, readOnly: false)
                    try Self.checkSchemaVersion(check, path: path)
                    try check.close()
                } else if mustExist {
                    throw TrackingError.foreignStore("\(path) is an empty file, not a Temper run store; runs are recorded by `temper casestudy batchnorm` or `Tracker(dir:)`")
                }
                let pool = try StoreFile.openReadWrite(path: path, busyTimeout: busyTimeout)
                database = pool
                reader = nil
                try Self.checkIdentity(pool, path: path, readOnly: false)
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
    private static func checkIdentity(_ database: any DatabaseReader, path: String, readOnly: Bool) throws {
        try database.read { db in
            let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'")
            if id != applicationID && !tables.isEmpty {
                throw TrackingError.foreignStore("\(path) is a SQLite database of something else (tables: \(tables.prefix(5).joined(separator: ", "))); move it away or pass --dir for another store")
            }
            if id != applicationID && readOnly {
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

    public func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        do {
            guard let reader else { return try database.read { try body(SQLiteTransaction(db: $0)) } }
            do {
                return try reader.current().read { try body(SQLiteTransaction(db: $0)) }
            } catch let error as DatabaseError where (error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB) && reader.isStale {
                // Read as an immutable file, the store changed under the reader (a writer came
                // between the check and the read): read it once more, as it is now.
                return try reader.current().read { try body(SQLiteTransaction(db: $0)) }
            }
        } catch let error as TrackingError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
            throw TrackingError.corruptStore("\(location) is damaged (\(error.message ?? "\(error.resultCode)")); what can still be read is read by `sqlite3 \(location) .recover`")
        } catch let error as DatabaseError {
            throw TrackingError.database("\(error)")
        }
    }

    /// An immediate transaction, run again (up to 8 times, waiting longer each time) while the
    /// store stays locked by another process past the busy timeout.
    public func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        guard !isReadOnly else {
            throw TrackingError.storeLocation("\(location) was opened read-only; open it with RunStore(access: .readWrite) to change it")
        }
        var attempt = 0
        while true {
            do {
                return try database.writeWithoutTransaction { db -> T in
                    var result: Result<T, Error>?
                    try db.inTransaction(.immediate) {
                        result = Result { try body(SQLiteTransaction(db: db)) }
                        if case .failure = result { return .rollback }
                        return .commit
                    }
                    guard let result else { throw TrackingError.database("a transaction on \(location) ended without a result") }
                    return try result.get()
                }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                attempt += 1
                if attempt >= 8 { throw TrackingError.database("the store stayed locked after \(attempt) attempts: \(error.message ?? "")") }
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
            }
        }
    }

    public func now() -> Double { Date().timeIntervalSince1970 }

    /// The stamps of the file and its write-ahead log, which every commit changes (two `stat`
    /// calls, no lock taken).
    public func changeToken() throws -> String {
        let file = FileStamp(location), log = FileStamp(location + "-wal")
        return [file, log].map { "\($0.inode):\($0.size):\($0.seconds).\($0.nanoseconds)" }.joined(separator: "/")
    }

    public func cause(of error: any Error) -> String { StoreFile.cause(error) }

    public func close() {}
}

/// A GRDB connection in a transaction.
struct SQLiteTransaction: StoreTransaction {
    let db: Database
    var dialect: StoreDialect { .sqlite }

    func fetch(_ sql: String, _ arguments: [StoreValue]) throws -> [StoreRow] {
        let statement = try db.cachedStatement(sql: sql)
        let layout = StoreColumns(statement.columnNames)
        return try Row.fetchAll(statement, arguments: Self.arguments(arguments)).map { row in
            StoreRow(layout: layout, values: layout.names.indices.map { Self.value(row[$0] as DatabaseValue) })
        }
    }

    func execute(_ sql: String, _ arguments: [StoreValue]) throws -> Int {
        try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        return db.changesCount
    }

    /// One prepared statement stepped once per row, the values bound straight to it (no argument
    /// arrays per row: the run writer inserts hundreds of rows per flush).
    func insert(into table: String, columns: [String], rows: [[StoreValue]], suffix: String) throws {
        guard !rows.isEmpty else { return }
        let statement = try db.cachedStatement(sql: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", "))) \(suffix)")
        let handle = statement.sqliteStatement
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        for row in rows {
            sqlite3_reset(handle)
            for (index, value) in row.enumerated() {
                let position = Int32(index + 1)
                let code: Int32
                switch value {
                case .null: code = sqlite3_bind_null(handle, position)
                case .integer(let v): code = sqlite3_bind_int64(handle, position, v)
                case .real(let v): code = sqlite3_bind_double(handle, position, v)
                case .text(let v): code = v.withCString { sqlite3_bind_text(handle, position, $0, -1, Self.transient) }
                }
                guard code == SQLITE_OK else { throw error(code, statement) }
            }
            let code = sqlite3_step(handle)
            guard code == SQLITE_DONE else { throw error(code, statement) }
        }
    }

    /// SQLite copies the text it is given (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func error(_ code: Int32, _ statement: Statement) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
    }

    private static func arguments(_ values: [StoreValue]) -> StatementArguments {
        StatementArguments(values.map { value -> DatabaseValue in
            switch value {
            case .null: return .null
            case .integer(let v): return v.databaseValue
            case .real(let v): return v.databaseValue
            case .text(let v): return v.databaseValue
            }
        })
    }

    private static func value(_ value: DatabaseValue) -> StoreValue {
        switch value.storage {
        case .null: return .null
        case .int64(let v): return .integer(v)
        case .double(let v): return .real(v)
        case .string(let v): return .text(v)
        case .blob(let data): return .text(String(decoding: data, as: UTF8.self))
        }
    }
}
