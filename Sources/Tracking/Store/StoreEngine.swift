import Foundation

/// The database engine under a `RunStore`: SQLite (`SQLiteEngine`, one file, the embedded
/// default) or PostgreSQL (the `TrackingPostgres` module, for many machines). Both hold the same
/// schema; `RunStore` writes its queries once, in the SQL both understand, with `StoreDialect`
/// for the few places where they differ.
public protocol StoreEngine: AnyObject, Sendable {
    /// Where the store is, as shown to users: a file path, or a URL without its password. Two
    /// engines with the same location are the same store.
    var location: String { get }
    var dialect: StoreDialect { get }
    /// Whether the store was opened only to read (never written, created nor migrated).
    var isReadOnly: Bool { get }
    /// Runs `body` in a transaction that sees one snapshot.
    func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// Runs `body` in a write transaction, retried (from the start) while the store is busy or
    /// out of reach for a while; an error thrown by `body` rolls it back.
    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// Seconds since 1970 by the store's clock (the database server's, for PostgreSQL), so that
    /// heartbeats written on machines whose clocks differ compare fairly.
    func now() -> Double
    /// Changes whenever something was committed to the store (cheap: a dashboard asks it twice
    /// a second).
    func changeToken() throws -> String
    /// The cause of a failed read or write, in words ("disk full", "the server is not reachable").
    func cause(of error: any Error) -> String
    /// Closes the engine's connections (at exit; a closed engine is not used again).
    func close()
}

/// Where the SQL of the two engines differs.
public enum StoreDialect: Sendable {
    case sqlite
    case postgres

    /// The larger of two values in one row (`MAX(a, b)` in SQLite, `GREATEST(a, b)` in PostgreSQL).
    func greatest(_ a: String, _ b: String) -> String {
        switch self {
        case .sqlite: return "MAX(\(a), \(b))"
        case .postgres: return "GREATEST(\(a), \(b))"
        }
    }

    /// The column that orders rows of `history` and `histogram` in write order.
    var writeOrder: String {
        switch self {
        case .sqlite: return "rowid"
        case .postgres: return "seq"
        }
    }
}

/// A value bound to a statement or read from a row.
public enum StoreValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// A Swift value that can be bound to a statement.
public protocol StoreBindable {
    var storeValue: StoreValue { get }
}

extension String: StoreBindable { public var storeValue: StoreValue { .text(self) } }
extension Double: StoreBindable { public var storeValue: StoreValue { .real(self) } }
extension Int: StoreBindable { public var storeValue: StoreValue { .integer(Int64(self)) } }
extension Int64: StoreBindable { public var storeValue: StoreValue { .integer(self) } }
extension Int32: StoreBindable { public var storeValue: StoreValue { .integer(Int64(self)) } }
extension StoreValue: StoreBindable { public var storeValue: StoreValue { self } }
extension Optional: StoreBindable where Wrapped: StoreBindable {
    public var storeValue: StoreValue { self?.storeValue ?? .null }
}

/// One open transaction of an engine. SQL uses `?` placeholders (the PostgreSQL engine numbers them).
public protocol StoreTransaction {
    var dialect: StoreDialect { get }
    /// The rows a query returns.
    func fetch(_ sql: String, _ arguments: [StoreValue]) throws -> [StoreRow]
    /// Runs a statement; returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [StoreValue]) throws -> Int
    /// Inserts many rows into `table`, with `suffix` after the values (an `ON CONFLICT` clause):
    /// one statement per row in SQLite (prepared once), a few multi-row statements in PostgreSQL.
    func insert(into table: String, columns: [String], rows: [[StoreValue]], suffix: String) throws
}

extension StoreTransaction {
    public func fetch(_ sql: String, _ arguments: any StoreBindable...) throws -> [StoreRow] {
        try fetch(sql, arguments.map(\.storeValue))
    }

    @discardableResult
    public func execute(_ sql: String, _ arguments: any StoreBindable...) throws -> Int {
        try execute(sql, arguments.map(\.storeValue))
    }

    /// The first column of the first row, if any.
    public func fetchValue(_ sql: String, _ arguments: any StoreBindable...) throws -> StoreValue? {
        try fetch(sql, arguments.map(\.storeValue)).first?.values.first
    }
}

/// The columns of a result set and where each is: made once per query, shared by its rows.
public struct StoreColumns: Sendable {
    public let names: [String]
    let positions: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        positions = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// A row read from the store: its values in column order, found by column name.
public struct StoreRow: Sendable {
    public let layout: StoreColumns
    public var values: [StoreValue]

    public var columns: [String] { layout.names }

    /// A row of a result set whose `layout` its rows share (the engines make it once per query).
    public init(layout: StoreColumns, values: [StoreValue]) {
        self.layout = layout
        self.values = values
    }

    public init(columns: [String], values: [StoreValue]) {
        self.init(layout: StoreColumns(columns), values: values)
    }

    public subscript(_ column: String) -> StoreValue {
        layout.positions[column].map { values[$0] } ?? .null
    }

    public func hasColumn(_ column: String) -> Bool { layout.positions[column] != nil }

    /// The column as text; an error naming it when it is NULL or not text.
    public func text(_ column: String) throws -> String {
        guard case .text(let value) = self[column] else { throw malformed(column, "text") }
        return value
    }

    public func optionalText(_ column: String) throws -> String? {
        self[column] == .null ? nil : try text(column)
    }

    /// The column as a number (an integer read as a real).
    public func double(_ column: String) throws -> Double {
        switch self[column] {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: throw malformed(column, "number")
        }
    }

    public func optionalDouble(_ column: String) throws -> Double? {
        self[column] == .null ? nil : try double(column)
    }

    /// The column as an integer (a real read as one only when it is a whole number in range).
    public func int64(_ column: String) throws -> Int64 {
        switch self[column] {
        case .integer(let value): return value
        case .real(let value) where value.rounded() == value && abs(value) < 9.2e18: return Int64(value)
        default: throw malformed(column, "integer")
        }
    }

    public func optionalInt64(_ column: String) throws -> Int64? {
        self[column] == .null ? nil : try int64(column)
    }

    public func int(_ column: String) throws -> Int {
        guard let value = Int(exactly: try int64(column)) else { throw malformed(column, "integer") }
        return value
    }

    public func optionalInt(_ column: String) throws -> Int? {
        self[column] == .null ? nil : try int(column)
    }

    private func malformed(_ column: String, _ expected: String) -> TrackingError {
        let shown: String
        switch self[column] {
        case .null: shown = "NULL"
        case .integer(let v): shown = "\(v)"
        case .real(let v): shown = "\(v)"
        case .text(let v): shown = "\"\(v.prefix(40))\""
        }
        return .corruptStore("column \(column) holds \(shown) where a \(expected) belongs (row \(identity)); the store was changed by hand or is damaged")
    }

    /// The row's id columns, to name it in errors.
    private var identity: String {
        ["id", "run_id", "sweep_id", "number", "step"].compactMap { name -> String? in
            guard let index = layout.positions[name] else { return nil }
            switch values[index] {
            case .text(let v): return "\(name) \(v)"
            case .integer(let v): return "\(name) \(v)"
            default: return nil
            }
        }.joined(separator: ", ")
    }
}
