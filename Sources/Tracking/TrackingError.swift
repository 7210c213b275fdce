/// Errors of the run store and the run API. Messages name the path or run and the fix.
public enum TrackingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file at the store path is not a SQLite database, or is damaged.
    case corruptStore(String)
    /// The file is a SQLite database of something else.
    case foreignStore(String)
    /// The store was written by a version of Temper with a schema this one does not know.
    case incompatibleStore(String)
    /// The store directory cannot be created or used.
    case storeLocation(String)
    /// No run with that id (or prefix), or an ambiguous prefix.
    case unknownRun(String)
    /// A query the runs table does not understand (filter, sort, column).
    case invalidQuery(String)
    /// A logging call with mismatched arguments (keys and values of different counts …).
    case invalidLog(String)
    /// A database error after retries.
    case database(String)
    /// An output file that cannot or must not be written (it is the store, its folder is missing …).
    case output(String)
    /// Logged values that could not be written to the store (disk full, damaged file …).
    case writeFailed(String)

    public var description: String {
        switch self {
        case .corruptStore(let m): return "corrupt run store: \(m)"
        case .foreignStore(let m): return "not a Temper run store: \(m)"
        case .incompatibleStore(let m): return "incompatible run store: \(m)"
        case .storeLocation(let m): return "run store location: \(m)"
        case .unknownRun(let m): return "unknown run: \(m)"
        case .invalidQuery(let m): return "invalid query: \(m)"
        case .invalidLog(let m): return "invalid log: \(m)"
        case .database(let m): return "run store: \(m)"
        case .output(let m): return m
        case .writeFailed(let m): return "run store write failed: \(m)"
        }
    }
}
