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
///
/// As libpq also: a host that is a path (`postgres://%2Fvar%2Frun%2Fpostgresql/db`, or
/// `postgres:///db?host=/var/run/postgresql`) is the folder of the server's Unix-domain socket
/// (`.s.PGSQL.<port>` in it; `sslmode` does not apply there); the `host` and `port` parameters
/// override the URL's. Without a password in the URL, `PGPASSWORD` is used, then the first
/// matching line of the password file (`PGPASSFILE`, or `~/.pgpass`; see `PasswordFile`).
struct PostgresURL: Sendable {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    var sslMode: SSLMode

    enum SSLMode: String, Sendable, CaseIterable { case disable, prefer, require, verifyFull = "verify-full" }

    init(_ url: URLComponents, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let shown = Self.redacted(url)
        guard let scheme = url.scheme?.lowercased(), ["postgres", "postgresql"].contains(scheme) else {
            throw TrackingError.storeLocation("\(shown) is not a PostgreSQL URL; write postgres://user:password@host:port/database")
        }
        // An IPv6 address comes in brackets ([::1]), a zone id percent-encoded.
        let rawHost = url.percentEncodedHost.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        let unbracketed = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        host = unbracketed.removingPercentEncoding ?? unbracketed
        port = url.port ?? 5432
        // Decoded once, from the encoded parts (a password "50%25off" is "50%off").
        user = url.percentEncodedUser.flatMap { $0.removingPercentEncoding }.flatMap { $0.isEmpty ? nil : $0 } ?? "postgres"
        // An empty password is none, as for libpq.
        password = url.percentEncodedPassword.flatMap { $0.removingPercentEncoding }.flatMap { $0.isEmpty ? nil : $0 }
        let encodedPath = url.percentEncodedPath.hasPrefix("/") ? String(url.percentEncodedPath.dropFirst()) : url.percentEncodedPath
        guard !encodedPath.contains("/") else {
            throw TrackingError.storeLocation("\(shown): \"\(encodedPath)\" is not a database name (the path of the URL is one name)")
        }
        database = encodedPath.isEmpty ? user : (encodedPath.removingPercentEncoding ?? encodedPath)
        sslMode = .prefer
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    throw TrackingError.storeLocation("\(shown): sslmode \"\(item.value ?? "")\" is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "host":
                guard let value = item.value, !value.isEmpty else {
                    throw TrackingError.storeLocation("\(shown): host= needs a host name, address or socket folder")
                }
                host = value
            case "port":
                guard let value = item.value, let number = Int(value) else {
                    throw TrackingError.storeLocation("\(shown): port \"\(item.value ?? "")\" is not a number")
                }
                port = number
            case _ where Self.knownParameters.contains(item.name):
                continue
            default:
                throw TrackingError.storeLocation("\(shown): unknown parameter \"\(item.name)\"; Temper reads sslmode, host and port (the password goes before the host: postgres://user:password@host/database)")
            }
        }
        guard (1...65535).contains(port) else {
            throw TrackingError.storeLocation("\(shown): port \(port) is not from 1 to 65535")
        }
        // As libpq: without one in the URL, PGPASSWORD (which `ps` does not show, unlike
        // arguments), then the password file.
        if password == nil {
            password = environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
                ?? PasswordFile(environment: environment)?.password(host: host, port: port, database: database, user: user)
        }
    }

    /// Where libpq would look for a password file, for messages.
    var passwordFileHint: String { ProcessInfo.processInfo.environment["PGPASSFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "~/.pgpass" }

    /// True when the host is the folder of a Unix-domain socket (a path), as libpq decides.
    var isSocketFolder: Bool { host.hasPrefix("/") }

    /// The server as messages name it: `host:port`, or the socket file.
    var serverDescription: String { isSocketFolder ? "the socket \(socketPath)" : "\(host):\(port)" }

    /// The socket file libpq connects to for a socket folder.
    var socketPath: String { (host.hasSuffix("/") ? host : host + "/") + ".s.PGSQL.\(port)" }

    /// The parameters Temper reads or lets pass; the values of any other are not shown.
    static let knownParameters: Set<String> = ["sslmode", "host", "port", "application_name", "connect_timeout"]

    /// The URL as shown to users and recorded: without the password (nor the value of a query
    /// parameter Temper does not know, such as `password=`).
    static func redacted(_ url: URLComponents) -> String {
        var shown = url
        if shown.percentEncodedPassword != nil { shown.percentEncodedPassword = "***" }
        if let items = shown.queryItems {
            shown.queryItems = items.map { knownParameters.contains($0.name) ? $0 : URLQueryItem(name: $0.name, value: "***") }
        }
        return shown.string ?? "postgres://?"
    }

    private static var unverified: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return configuration
    }

    func configuration() throws -> PostgresConnection.Configuration {
        if isSocketFolder {
            var configuration = PostgresConnection.Configuration(unixSocketPath: socketPath, username: user, password: password, database: database)
            configuration.options.connectTimeout = .seconds(10)
            return configuration
        }
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
