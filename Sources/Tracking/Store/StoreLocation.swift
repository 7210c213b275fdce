import Foundation

/// Where a store is: a directory holding `temper.sqlite`, or a database URL (`postgres://…`).
public enum StoreLocation: Sendable, Equatable {
    case directory(String)
    case url(URLComponents)
    /// Starts like a URL (`name://`) but is not one (an unescaped `/` or `#` in a password, a port
    /// that is not a number): an error, never taken for a directory.
    case invalidURL(String)

    /// From `--store`/`--dir` as given, else `TEMPER_STORE`, else `TEMPER_DIR`, else
    /// `./temper-runs`. A value with a scheme (`name://`) is a URL, anything else a directory.
    public init(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let given = explicit ?? environment["TEMPER_STORE"].flatMap { $0.isEmpty ? nil : $0 }
        if let given, Self.hasScheme(given) || Self.looksLikeDatabaseURL(given) {
            // Exactly a URL: no space around it, `scheme://` whole (`postgres:/x` is a typo, not a folder).
            let url = given == given.trimmingCharacters(in: .whitespacesAndNewlines) && Self.hasScheme(given) ? URLComponents(string: given) : nil
            self = url.map(StoreLocation.url) ?? .invalidURL(given)
        } else {
            self = .directory(RunStore.defaultDirectory(given, environment: environment))
        }
    }

    /// Whether `text`, spaces aside, starts with `postgres:` or `postgresql:` (any case): meant as
    /// a database URL, however mistyped.
    static func looksLikeDatabaseURL(_ text: String) -> Bool {
        let start = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return start.hasPrefix("postgres:") || start.hasPrefix("postgresql:")
    }

    /// Whether `text` starts like a URL (`letters://`), not like a path.
    public static func hasScheme(_ text: String) -> Bool {
        guard let range = text.range(of: "://") else { return false }
        let scheme = text[..<range.lowerBound]
        return !scheme.isEmpty && scheme.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
    }

    /// `text` with the password of every URL in it (`scheme://user:password@host`) replaced by
    /// `***`: what is recorded or printed of a command line that names a store.
    public static func redactingPasswords(_ text: String) -> String {
        var result = "", rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            result += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            // The authority ends at the first '/', '?', '#' or space; its user information at its last '@'.
            let end = rest.firstIndex { "/?# \t\n'\"".contains($0) } ?? rest.endIndex
            let authority = rest[..<end]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                result += authority[...colon] + "***" + authority[at...]
                rest = rest[end...]
            }
        }
        return result + rest
    }

    /// Whether the location names a PostgreSQL database.
    public var isPostgres: Bool {
        if case .url(let url) = self { return ["postgres", "postgresql"].contains(url.scheme?.lowercased() ?? "") }
        return false
    }
}

/// The engines a process can open by URL scheme (PostgreSQL's is registered by
/// `TrackingPostgres.PostgresEngine.register()`; `temper` hands a `postgres://` store to
/// `temper-postgres`, which does).
public enum StoreEngines {
    /// Opens the store at a URL, to read or write; `mustExist`: a database without a Temper store
    /// is an error, not a new store.
    public typealias Opener = @Sendable (URLComponents, RunStore.Access, Bool) throws -> any StoreEngine
    nonisolated(unsafe) private static var openers: [String: Opener] = [:]
    private static let lock = NSLock()

    /// Makes `scheme` (`postgres`) open stores with `opener`.
    public static func register(scheme: String, _ opener: @escaping Opener) {
        lock.lock()
        openers[scheme.lowercased()] = opener
        lock.unlock()
    }

    /// Whether an engine is registered for `scheme`.
    public static func canOpen(scheme: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return openers[scheme.lowercased()] != nil
    }

    static func open(_ url: URLComponents, access: RunStore.Access, mustExist: Bool) throws -> any StoreEngine {
        let scheme = url.scheme?.lowercased() ?? ""
        lock.lock()
        let opener = openers[scheme]
        lock.unlock()
        guard let opener else {
            let known = ["postgres", "postgresql"].contains(scheme)
            throw TrackingError.storeLocation(known
                ? "this program has no PostgreSQL client: `temper` runs `temper-postgres` for postgres:// stores; from Swift, import TrackingPostgres and call PostgresEngine.register()"
                : "unknown store scheme \"\(scheme)://\": a store is a directory, or a postgres://user:password@host:port/database URL")
        }
        return try opener(url, access, mustExist)
    }
}
