import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Tracking

/// The run store on PostgreSQL, for sweeps and runs across many machines: the same schema and
/// behaviour as the SQLite store (`PostgresSchema`), through postgres-nio. Transactions run on
/// pooled connections; a connection that breaks (the server restarted, the network dropped) is
/// dropped and the transaction run again on a new one, for up to `reconnectFor` seconds, so
/// agents and run writers go on after a restart. Time is the server's (`now()`), so heartbeats
/// written by machines whose clocks differ compare fairly.
///
/// `temper` opens `postgres://` stores through `temper-postgres`; Swift code calls
/// `PostgresEngine.register()` once, then names the URL where it would name a directory
/// (`Tracker(store:)`, `RunStore(location:)`).
public final class PostgresEngine: StoreEngine, @unchecked Sendable {
    public let location: String
    public let isReadOnly: Bool
    public var dialect: StoreDialect { .postgres }
    /// How long a transaction is tried again while the server cannot be reached.
    public let reconnectFor: TimeInterval
    private let url: PostgresURL
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []
    private var closed = false
    private var nextID = 0
    /// The server's clock minus this machine's, measured when the store was opened.
    private var clockOffset: Double = 0

    /// Makes `postgres://` and `postgresql://` store URLs open with this engine in this process.
    public static func register() {
        for scheme in ["postgres", "postgresql"] {
            StoreEngines.register(scheme: scheme) { url, access, mustExist in try PostgresEngine(url: url, access: access, mustExist: mustExist) }
        }
    }

    /// Connects to the database at `url`, checks that it is a Temper store (or empty) of a schema
    /// this version knows, and (read-write) applies the migrations it lacks. Nothing is written
    /// to a database that belongs to another program or to a newer Temper.
    /// `mustExist`: a database without a Temper store is an error (nothing is created in it).
    /// `reconnectFor` defaults to 60 s for a store opened to write (agents and run writers wait
    /// out a server restart) and 5 s read-only (a dashboard answers an error soon).
    public init(url: URLComponents, access: RunStore.Access = .readWrite, mustExist: Bool = false, reconnectFor: TimeInterval? = nil) throws {
        location = PostgresURL.redacted(url)
        isReadOnly = access == .readOnly
        self.reconnectFor = reconnectFor ?? (access == .readOnly ? 5 : 60)
        self.url = try PostgresURL(url)
        configuration = try self.url.configuration()
        var logger = Logger(label: "temper.postgres")
        logger.logLevel = .critical
        self.logger = logger
        let connection: PostgresConnection
        do {
            connection = try connect()
        } catch {
            throw TrackingError.storeLocation("cannot open \(location): \(Self.openCause(error, url: self.url))")
        }
        defer { giveBack(connection) }
        do {
            try measureClock(connection)
            try PostgresSchema.prepare(PostgresTransaction(connection: connection, logger: logger), location: location, readOnly: isReadOnly,
                                       mustExist: mustExist)
        } catch let error as TrackingError {
            throw error
        } catch {
            throw TrackingError.database("cannot open \(location): \(PostgresFailure.describe(error))")
        }
    }

    /// Why the first connection failed, with the fix.
    private static func openCause(_ error: any Error, url: PostgresURL) -> String {
        switch PostgresFailure.sqlState(error) {
        case "28P01", "28000": return "the server refused user \"\(url.user)\" (\(PostgresFailure.describe(error))); check the user and the password (in the URL, PGPASSWORD or the password file \(url.passwordFileHint))"
        case "3D000": return "database \"\(url.database)\" does not exist on \(url.serverDescription); create it (createdb \(url.database)) or name another"
        default:
            if error is NIOConnectionError || (error as? PSQLError)?.code == .connectionError {
                return "no PostgreSQL server answers at \(url.serverDescription) (\(PostgresFailure.describe(error))); start it, or check the host and port"
            }
            return PostgresFailure.describe(error)
        }
    }

    private func connect() throws -> PostgresConnection {
        lock.lock()
        nextID += 1
        let id = nextID
        lock.unlock()
        return try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: id, logger: logger).wait()
    }

    private func measureClock(_ connection: PostgresConnection) throws {
        let before = Date().timeIntervalSince1970
        let rows = try PostgresTransaction(connection: connection, logger: logger).fetch("SELECT extract(epoch FROM clock_timestamp())::float8 AS now", [])
        let after = Date().timeIntervalSince1970
        let server = try rows.first?.double("now") ?? (before + after) / 2
        lock.lock()
        clockOffset = server - (before + after) / 2
        lock.unlock()
    }

    private func takeConnection() throws -> PostgresConnection {
        lock.lock()
        if closed {
            lock.unlock()
            throw TrackingError.database("\(location) was closed (the process is exiting)")
        }
        while let connection = idle.popLast() {
            if !connection.isClosed {
                lock.unlock()
                return connection
            }
        }
        lock.unlock()
        return try connect()
    }

    private func giveBack(_ connection: PostgresConnection) {
        lock.lock()
        let keep = !closed && !connection.isClosed && idle.count < 16
        if keep { idle.append(connection) }
        lock.unlock()
        if !keep { _ = try? connection.close().wait() }
    }

    private func discard(_ connection: PostgresConnection) {
        _ = try? connection.close().wait()
    }

    public func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", writes: false, retryFor: reconnectFor, body)
    }

    public func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        guard !isReadOnly else {
            throw TrackingError.storeLocation("\(location) was opened read-only; open it with RunStore(access: .readWrite) to change it")
        }
        return try transaction(begin: "BEGIN", writes: true, retryFor: reconnectFor, body)
    }

    /// Runs `body` between `begin` and `COMMIT` on a pooled connection; a transient failure (the
    /// connection lost, the server restarting, a deadlock) drops the connection when it is broken
    /// and runs the whole transaction again, waiting longer each time, for up to `retryFor`
    /// seconds. A write whose COMMIT got no answer may have been applied: its transaction id is
    /// asked about (`txid_status`) on a new connection, and it is run again only if it was not,
    /// so nothing is written twice.
    private func transaction<T>(begin: String, writes: Bool, retryFor: TimeInterval, _ body: (any StoreTransaction) throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(retryFor)
        var pause = 0.05
        while true {
            var connection: PostgresConnection?
            var committing: (id: Int64, result: T)?
            do {
                let open = try takeConnection()
                connection = open
                let transaction = PostgresTransaction(connection: open, logger: logger)
                try transaction.simple(begin)
                let result: T
                do {
                    let id = writes ? try transaction.fetch("SELECT txid_current() AS id", []).first?.int64("id") : nil
                    result = try body(transaction)
                    committing = id.map { ($0, result) }
                } catch {
                    if PostgresFailure.connectionSurvives(error) {
                        do {
                            try transaction.simple("ROLLBACK")
                        } catch {
                            // A connection still in a transaction is never pooled.
                            discard(open)
                            connection = nil
                        }
                    }
                    throw error
                }
                try transaction.simple("COMMIT")
                giveBack(open)
                return result
            } catch {
                if let connection {
                    if committing == nil && PostgresFailure.connectionSurvives(error) && !connection.isClosed { giveBack(connection) } else { discard(connection) }
                }
                guard PostgresFailure.isTransient(error), Date() < deadline, !isClosed else {
                    if let error = error as? TrackingError { throw error }
                    throw StoreFailure(location: location, underlying: error)
                }
                if let committing, try wasCommitted(committing.id, until: deadline) {
                    // The answer to COMMIT was lost, the commit was not: the result stands.
                    return committing.result
                }
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 1)
            }
        }
    }

    /// Whether the transaction `id` committed, asked on a new connection until the server answers.
    private func wasCommitted(_ id: Int64, until deadline: Date) throws -> Bool {
        var pause = 0.05
        while true {
            do {
                let status = try transaction(begin: "BEGIN READ ONLY", writes: false, retryFor: 0) { db in
                    try db.fetch("SELECT txid_status(?)::text AS status", [.integer(id)]).first?.optionalText("status")
                }
                switch status {
                case "committed": return true
                case "in progress": break  // the server is still finishing it
                default: return false  // aborted, or too old to know (then it did not happen in this run)
                }
            } catch where Date() < deadline {
                // still out of reach
            }
            guard Date() < deadline else { throw TrackingError.database("\(location): cannot learn whether a transaction committed (the server did not answer for \(Int(reconnectFor)) s)") }
            Thread.sleep(forTimeInterval: pause)
            pause = min(pause * 2, 1)
        }
    }

    private var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    public func now() -> Double {
        lock.lock()
        defer { lock.unlock() }
        return Date().timeIntervalSince1970 + clockOffset
    }

    /// Asked once, not retried: a dashboard polling a server out of reach gets an error at once.
    public func changeToken() throws -> String {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", writes: false, retryFor: 0) { db in
            try db.fetch(Self.changeQuery, []).first?.text("token") ?? ""
        }
    }

    /// Per table the row count and the newest row version (`xmin`, the id of the transaction
    /// that wrote it): a commit that inserts, updates or deletes a run, trial or sweep changes it
    /// (every write of a run refreshes its heartbeat), and nothing in another database does.
    private static let changeQuery = "SELECT " + ["run", "trial", "sweep"].map {
        "(SELECT count(*)::text || ':' || coalesce(max(xmin::text::bigint), 0)::text FROM \($0))"
    }.joined(separator: " || '/' || ") + " AS token"

    public func cause(of error: any Error) -> String {
        if let failure = error as? StoreFailure { return PostgresFailure.describe(failure.underlying) }
        return PostgresFailure.describe(error)
    }

    public func close() {
        lock.lock()
        closed = true
        let connections = idle
        idle = []
        lock.unlock()
        for connection in connections { _ = try? connection.close().wait() }
    }
}

/// A failed transaction on a PostgreSQL store, after the retries.
public struct StoreFailure: Error, CustomStringConvertible {
    public let location: String
    public let underlying: any Error
    public var description: String { "run store \(location): \(PostgresFailure.describe(underlying))" }
}
