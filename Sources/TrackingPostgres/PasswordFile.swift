import Foundation

/// libpq's password file: `PGPASSFILE` (when set and not empty), or `~/.pgpass`. Each line is
/// `hostname:port:database:username:password`; a field that is exactly `*` matches anything;
/// `\:` and `\\` stand for `:` and `\` (an escaped `\*` is a literal star); the password ends at
/// the first unescaped `:`; lines end at a newline (a trailing carriage return is dropped); empty
/// lines and lines starting with `#` are skipped; the first line that matches gives the password.
/// As libpq, a file that its group or others may read or write is ignored (with a warning on
/// standard error), and a connection through the default socket folder is matched as `localhost`.
struct PasswordFile {
    /// A field of a line: a bare `*`, or text to compare.
    enum Field: Equatable {
        case any
        case text(String)

        func matches(_ value: String) -> Bool {
            switch self {
            case .any: return true
            case .text(let text): return text == value
            }
        }
    }

    struct Entry: Equatable {
        var host: Field, port: Field, database: Field, user: Field
        var password: String
    }

    let path: String
    let entries: [Entry]

    /// The socket folder libpq means when no host is given (Debian's build).
    static let defaultSocketFolder = "/var/run/postgresql"

    /// The file `environment` points to, if it exists and is private to its owner.
    init?(environment: [String: String], warn: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let named = environment["PGPASSFILE"].flatMap { $0.isEmpty ? nil : $0 }
        let path = named ?? (home as NSString).appendingPathComponent(".pgpass")
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        guard status.st_mode & (S_IRWXG | S_IRWXO) == 0 else {
            warn("temper: password file \(path) is readable or writable by its group or others, so it is ignored (as libpq does); chmod 0600 \(path)")
            return nil
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        self.init(path: path, text: text)
    }

    init(path: String, text: String) {
        self.path = path
        // "\r\n" is one Character in Swift: a line ends at either.
        entries = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).compactMap { line in
            Self.entry(line.hasSuffix("\r") ? line.dropLast() : line)
        }
    }

    /// The password of the first entry matching the connection, if any.
    func password(host: String, port: Int, database: String, user: String) -> String? {
        let host = host == Self.defaultSocketFolder ? "localhost" : host
        return entries.first { entry in
            entry.host.matches(host) && entry.port.matches(String(port)) && entry.database.matches(database) && entry.user.matches(user)
        }?.password
    }

    /// A line's four fields and its password, as libpq reads them.
    private static func entry(_ line: Substring) -> Entry? {
        guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
        var fields: [Field] = []
        var rest = line[...]
        for _ in 0..<4 {
            guard let (field, after) = Self.field(rest) else { return nil }
            fields.append(field)
            rest = after
        }
        // The password: escapes removed up to the first unescaped colon; a last lone `\` stays.
        var password = ""
        var index = rest.startIndex
        while index < rest.endIndex, rest[index] != ":" {
            let next = rest.index(after: index)
            if rest[index] == "\\", next < rest.endIndex {
                password.append(rest[next])
                index = rest.index(after: next)
            } else {
                password.append(rest[index])
                index = next
            }
        }
        return Entry(host: fields[0], port: fields[1], database: fields[2], user: fields[3], password: password)
    }

    /// One field up to its unescaped colon, and the text after that colon; nil when the line ends first.
    private static func field(_ text: Substring) -> (Field, Substring)? {
        if text.hasPrefix("*:") { return (.any, text.dropFirst(2)) }
        var value = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "\\" {
                let next = text.index(after: index)
                guard next < text.endIndex else { return nil }
                value.append(text[next])
                index = text.index(after: next)
            } else if character == ":" {
                return (.text(value), text[text.index(after: index)...])
            } else {
                value.append(character)
                index = text.index(after: index)
            }
        }
        return nil
    }
}
