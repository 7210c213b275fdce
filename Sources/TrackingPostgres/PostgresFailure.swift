import Foundation
import NIOCore
import NIOPosix
import PostgresNIO
import Tracking

/// What a PostgreSQL error means to the store: worth trying again (the server restarting, the
/// connection lost, two transactions in a deadlock) or not, and its cause in words.
enum PostgresFailure {
    /// SQLSTATEs after which the same transaction is run again: serialization failure,
    /// deadlock, the server shutting down or starting, too many connections.
    private static let transientStates: Set<String> = ["40001", "40P01", "57P01", "57P02", "57P03", "53300", "08000", "08003", "08006"]

    /// Whether the error is the connection's (lost, refused, timed out) or a passing state of the
    /// server: then the connection is dropped and the transaction tried again on a new one.
    static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            switch error.code {
            case .server: return error.serverInfo?[.sqlState].map(transientStates.contains) ?? false
            case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown: return true
            default: return false
            }
        }
        if let error = error as? PostgresError {
            switch error {
            case .connectionClosed, .protocol: return true
            case .server(let message): return message.fields[.sqlState].map(transientStates.contains) ?? false
            }
        }
        return error is ChannelError || error is IOError || error is NIOConnectionError || "\(type(of: error))".contains("ConnectTimeout")
    }

    /// Whether the connection can go on being used after this error (a statement's error inside
    /// a transaction leaves the connection fine once rolled back).
    static func connectionSurvives(_ error: any Error) -> Bool {
        if let error = error as? PostgresError, case .server = error { return true }
        guard let error = error as? PSQLError else {
            return !(error is ChannelError || error is IOError || error is NIOConnectionError || error is PostgresError)
        }
        return error.code == .server && !["57P01", "57P02", "57P03"].contains(error.serverInfo?[.sqlState] ?? "")
    }

    /// The SQLSTATE of a server error.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// The cause in words: the server's message and code, or what happened to the connection.
    static func describe(_ error: any Error) -> String {
        if let error = error as? TrackingError { return "\(error)" }
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let message = info[.message] ?? "error"
                let detail = info[.detail].map { " (\($0))" } ?? ""
                return "\(message)\(detail) [SQLSTATE \(info[.sqlState] ?? "?")]"
            }
            switch error.code {
            case .serverClosedConnection, .uncleanShutdown: return "the server closed the connection"
            case .connectionError: return "cannot connect: \(error.underlying.map { "\($0)" } ?? "connection error")"
            case .sslUnsupported: return "the server does not offer TLS (sslmode=require); use sslmode=prefer or disable"
            case .authMechanismRequiresPassword: return "the server asks for a password and none was given: put it in the URL, in PGPASSWORD or in the password file (PGPASSFILE, or ~/.pgpass, mode 0600)"
            default: return "PostgreSQL client error \(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
            }
        }
        if let error = error as? PostgresError {
            switch error {
            case .connectionClosed: return "the server closed the connection"
            case .protocol(let message): return "PostgreSQL protocol: \(message)"
            case .server(let message):
                return "\(message.fields[.message] ?? "error") [SQLSTATE \(message.fields[.sqlState] ?? "?")]"
            }
        }
        if let error = error as? NIOConnectionError {
            return "cannot connect to \(error.host):\(error.port)" + (error.connectionErrors.first.map { ": \($0.error)" } ?? "")
        }
        return "\(error)"
    }
}
