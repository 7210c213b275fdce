import Foundation
import Logging
import NIOCore
import PostgresNIO
import Tracking

/// One connection inside a transaction, answering synchronously (the engine's callers are
/// writer and worker threads, never an event loop).
struct PostgresTransaction: StoreTransaction {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: StoreDialect { .postgres }

    /// PostgreSQL takes at most 65535 parameters per statement.
    static let maxParameters = 65_535

    func fetch(_ sql: String, _ arguments: [StoreValue]) throws -> [StoreRow] {
        try Self.rows(try run(sql, arguments).rows)
    }

    func execute(_ sql: String, _ arguments: [StoreValue]) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    /// Multi-row `INSERT … VALUES (…), (…)`, as many rows per statement as the parameter limit allows.
    func insert(into table: String, columns: [String], rows: [[StoreValue]], suffix: String) throws {
        guard !rows.isEmpty, !columns.isEmpty else { return }
        let perStatement = max(1, Self.maxParameters / columns.count)
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + perStatement)]
            let tuple = "(" + columns.map { _ in "?" }.joined(separator: ", ") + ")"
            let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES " + Array(repeating: tuple, count: chunk.count).joined(separator: ", ") + " " + suffix
            _ = try run(sql, chunk.flatMap { $0 })
            start += chunk.count
        }
    }

    func run(_ sql: String, _ arguments: [StoreValue]) throws -> PostgresQueryResult {
        var bindings = PostgresBindings(capacity: arguments.count)
        for value in arguments {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let v): bindings.append(v)
            case .real(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            }
        }
        let query = PostgresQuery(unsafeSQL: Self.numbered(sql), binds: bindings)
        return try answer(connection.query(query, logger: logger))
    }

    /// Runs one statement that takes no parameters (`BEGIN`, `COMMIT`, DDL).
    func simple(_ sql: String) throws {
        _ = try answer(connection.query(PostgresQuery(unsafeSQL: sql), logger: logger))
    }

    /// How long a statement may go unanswered on an open connection before the connection is
    /// closed and the statement fails (then the transaction is tried again on a new one).
    static let statementTimeout: TimeAmount = .seconds(120)

    /// Waits for a statement's answer. A statement sent on a connection that the server closed
    /// as it went down (`pg_ctl restart`) was seen to wait forever: the connection is checked
    /// every half second, and the wait fails once it is closed (or after `statementTimeout`).
    private func answer(_ future: EventLoopFuture<PostgresQueryResult>) throws -> PostgresQueryResult {
        let loop = future.eventLoop
        let promise = loop.makePromise(of: PostgresQueryResult.self)
        future.cascade(to: promise)
        let connection = self.connection
        let deadline = NIODeadline.now() + Self.statementTimeout
        let watch = loop.scheduleRepeatedTask(initialDelay: .milliseconds(500), delay: .milliseconds(500)) { task in
            if connection.isClosed {
                promise.fail(PostgresError.connectionClosed)  // ignored when the answer came first
                task.cancel()
            } else if NIODeadline.now() > deadline {
                promise.fail(PostgresError.connectionClosed)
                let closing: EventLoopFuture<Void> = connection.close()
                _ = closing
                task.cancel()
            }
        }
        defer { watch.cancel() }
        return try promise.futureResult.wait()
    }

    /// `?` placeholders numbered `$1`, `$2` … (none inside quotes).
    static func numbered(_ sql: String) -> String {
        var result = "", number = 0
        var quote: Character?
        result.reserveCapacity(sql.utf8.count + 16)
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                result.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                result.append(character)
            } else if character == "?" {
                number += 1
                result += "$\(number)"
            } else {
                result.append(character)
            }
        }
        return result
    }

    static func rows(_ rows: [PostgresRow]) throws -> [StoreRow] {
        var result: [StoreRow] = []
        result.reserveCapacity(rows.count)
        var layout: StoreColumns?
        for row in rows {
            var values: [StoreValue] = []
            var names: [String] = []
            for cell in row {
                if layout == nil { names.append(cell.columnName) }
                values.append(try value(cell))
            }
            let shared = layout ?? StoreColumns(names)
            layout = shared
            result.append(StoreRow(layout: shared, values: values))
        }
        return result
    }

    private static func value(_ cell: PostgresCell) throws -> StoreValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .numeric: return .real(NSDecimalNumber(decimal: try cell.decode(Decimal.self)).doubleValue)
        case .text, .varchar, .bpchar, .name: return .text(try cell.decode(String.self))
        default:
            // Temper's schema holds text and numbers only; a query that returns another type casts it (`::text`).
            throw TrackingError.database("column \(cell.columnName) has PostgreSQL type \(cell.dataType), which Temper does not read")
        }
    }
}
