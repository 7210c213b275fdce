import Foundation
import NIOSSL
import PostgresNIO
import Tracking

/// A `postgres://user:password@host:port/database?sslmode=…` URL, as libpq reads one: the host
/// defaults to localhost, the port to 5432, the user to `postgres`, the database to the user's
/// name; `sslmode` is `disable`, `prefer` (the default: TLS when the server offers it),
/// `require` (TLS or nothing; like libpq, neither checks the server's certificate) or
/// `verify-full` (TLS with the certificate checked against the system's roots and the host name).
/// Percent-escapes in the user and password are decoded.
struct PostgresURL: Sendable {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    var sslMode: SSLMode

    enum SSLMode: String, Sendable, CaseIterable { case disable, prefer, require, verifyFull = "verify-full" }

    init(_ url: URLComponents) throws {
        let shown = Self.redacted(url)
        guard let scheme = url.scheme?.lowercased(), ["postgres", "postgresql"].contains(scheme) else {
            throw TrackingError.storeLocation("\(shown) is not a PostgreSQL URL; write postgres://user:password@host:port/database")
        }
        host = url.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        port = url.port ?? 5432
        guard (1...65535).contains(port) else {
            throw TrackingError.storeLocation("\(shown): port \(port) is not from 1 to 65535")
        }
        user = url.user.flatMap { $0.removingPercentEncoding }.flatMap { $0.isEmpty ? nil : $0 } ?? "postgres"
        password = url.password.flatMap { $0.removingPercentEncoding }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !path.contains("/") else {
            throw TrackingError.storeLocation("\(shown): \"\(path)\" is not a database name (the path of the URL is one name)")
        }
        database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
        sslMode = .prefer
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    throw TrackingError.storeLocation("\(shown): sslmode \"\(item.value ?? "")\" is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "application_name", "connect_timeout":
                continue
            default:
                throw TrackingError.storeLocation("\(shown): unknown parameter \"\(item.name)\"; Temper reads sslmode only")
            }
        }
    }

    /// The URL as shown to users and recorded: without the password.
    static func redacted(_ url: URLComponents) -> String {
        var shown = url
        if shown.password != nil { shown.password = "***" }
        return shown.string ?? "postgres://?"
    }

    private static var unverified: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return configuration
    }

    func configuration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: Self.unverified))
        case .require: tls = .require(try NIOSSLContext(configuration: Self.unverified))
        case .verifyFull: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
