import Foundation

/// libpq's password file: `PGPASSFILE`, or `~/.pgpass`. Each line is
/// `hostname:port:database:username:password`; a field may be `*` (anything); `\:` and `\\` stand
/// for `:` and `\`; empty lines and lines starting with `#` are skipped; the first line that
/// matches gives the password. As libpq, a file that its group or others may read or write is
/// ignored (with a warning on standard error), and `localhost` also matches the default socket
/// folder.
struct PasswordFile {
    struct Entry: Equatable {
        var host: String, port: String, database: String, user: String, password: String
    }

    let path: String
    let entries: [Entry]

    /// The socket folder libpq means when no host is given (Debian's build).
    static let defaultSocketFolder = "/var/run/postgresql"

    /// The file `environment` points to, if it exists and is private to its owner.
    init?(environment: [String: String], warn: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let path = environment["PGPASSFILE"] ?? (home as NSString).appendingPathComponent(".pgpass")
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
        entries = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).compactMap(Self.entry)
    }

    /// The password of the first entry matching the connection, if any.
    func password(host: String, port: Int, database: String, user: String) -> String? {
        let hosts = host == Self.defaultSocketFolder ? [host, "localhost"] : [host]
        return entries.first { entry in
            (entry.host == "*" || hosts.contains(entry.host)) && (entry.port == "*" || entry.port == String(port))
                && (entry.database == "*" || entry.database == database) && (entry.user == "*" || entry.user == user)
        }?.password
    }

    /// A line's five fields (the password may contain unescaped colons after the fourth).
    private static func entry(_ line: Substring) -> Entry? {
        guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
        var fields: [String] = [], current = "", escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        guard fields.count == 5 else { return nil }
        return Entry(host: fields[0], port: fields[1], database: fields[2], user: fields[3], password: fields[4])
    }
}
