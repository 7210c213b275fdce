import Foundation
import GRDB

/// The writes of a tracker's runs that failed for good, kept until someone asks
/// (`Tracker.waitUntilWritten()` throws them), so that a run finished without waiting
/// (`finish(wait: false)`, what `TrackingCallback` does) cannot lose data silently.
final class WriteFailures: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [TrackingError] = []

    func record(_ error: TrackingError) {
        lock.lock()
        errors.append(error)
        lock.unlock()
    }

    var all: [TrackingError] {
        lock.lock()
        defer { lock.unlock() }
        return errors
    }
}

extension StoreFile {
    /// Why a write failed, in words first ("disk full"), SQLite's message after.
    static func cause(_ error: Error) -> String {
        guard let error = error as? DatabaseError else { return "\(error)" }
        let words: String
        switch error.resultCode {
        case .SQLITE_FULL: words = "disk full"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: words = "the store file is damaged"
        case .SQLITE_IOERR: words = "input/output error"
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN: words = "the store may not be written"
        case .SQLITE_BUSY, .SQLITE_LOCKED: words = "another process holds the store's lock"
        default: words = "SQLite error \(error.resultCode.rawValue)"
        }
        return "\(words) (\(error.message ?? "\(error.extendedResultCode)"))"
    }
}
