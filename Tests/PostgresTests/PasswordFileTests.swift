import Foundation
import ProcessSupport
import Testing
import Tracking
@testable import TrackingPostgres

/// Socket folders and the password file, read as libpq reads them.
@Suite struct PasswordFileTests {
    init() { PostgresEngine.register() }

    @Test func linesAreMatchedFieldByFieldWithWildcardsAndEscapes() {
        let file = PasswordFile(path: "pgpass", text: """
            # a comment, then an empty line

            db.example:5432:sales:alice:first
            *:*:*:bob:pa\\:ss\\\\word:ends at the colon
            \\*:*:*:eve:a literal star host
            /var/run/postgresql:5432:*:carol:the default folder is matched as localhost
            127.0.0.1:6543:*:*:any-db
            localhost:5432:*:carol:socket
            h:1:d:dan:ends with a backslash\\
            crlf:1:d:fay:no carriage return\r
            short:line
            """)
        #expect(file.password(host: "db.example", port: 5432, database: "sales", user: "alice") == "first")
        #expect(file.password(host: "db.example", port: 5433, database: "sales", user: "alice") == nil)
        #expect(file.password(host: "db.example", port: 5432, database: "hr", user: "alice") == nil)
        #expect(file.password(host: "anywhere", port: 1, database: "x", user: "bob") == "pa:ss\\word")
        #expect(file.password(host: "anywhere", port: 1, database: "x", user: "eve") == nil)
        #expect(file.password(host: "*", port: 1, database: "x", user: "eve") == "a literal star host")
        #expect(file.password(host: "h", port: 1, database: "d", user: "dan") == "ends with a backslash\\")
        #expect(file.password(host: "crlf", port: 1, database: "d", user: "fay") == "no carriage return")
        #expect(file.password(host: "127.0.0.1", port: 6543, database: "whatever", user: "dave") == "any-db")
        // localhost also stands for the default socket folder, not for any other.
        #expect(file.password(host: PasswordFile.defaultSocketFolder, port: 5432, database: "x", user: "carol") == "socket")
        #expect(file.password(host: "/tmp/elsewhere", port: 5432, database: "x", user: "carol") == nil)
        #expect(file.entries.count == 8)
    }

    @Test func aPasswordFileOthersCanReadIsIgnoredWithAWarning() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pgpass-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "*:*:*:*:secret\n".write(toFile: path, atomically: true, encoding: .utf8)
        var warnings: [String] = []
        chmod(path, 0o644)
        #expect(PasswordFile(environment: ["PGPASSFILE": path], warn: { warnings.append($0) }) == nil)
        #expect(warnings.count == 1 && warnings[0].contains("chmod 0600 \(path)"), "\(warnings)")
        chmod(path, 0o600)
        #expect(PasswordFile(environment: ["PGPASSFILE": path], warn: { warnings.append($0) })?.entries.count == 1)
        // The URL's password comes first, then PGPASSWORD, then the file.
        let url = try #require(URLComponents(string: "postgres://u@h/db"))
        #expect(try PostgresURL(url, environment: ["PGPASSFILE": path]).password == "secret")
        #expect(try PostgresURL(url, environment: ["PGPASSFILE": path, "PGPASSWORD": "env"]).password == "env")
        #expect(try PostgresURL(try #require(URLComponents(string: "postgres://u:mine@h/db")), environment: ["PGPASSFILE": path]).password == "mine")
        // As libpq: an empty password, an empty PGPASSWORD and an empty PGPASSFILE are not given.
        #expect(try PostgresURL(try #require(URLComponents(string: "postgres://u:@h/db")), environment: ["PGPASSFILE": path, "PGPASSWORD": ""]).password == "secret")
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("home-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        try "*:*:*:*:from-home\n".write(toFile: home + "/.pgpass", atomically: true, encoding: .utf8)
        chmod(home + "/.pgpass", 0o600)
        #expect(try PostgresURL(url, environment: ["PGPASSFILE": "", "HOME": home]).password == "from-home")
    }

    @Test func hostAndPortParametersAndSocketFolders() throws {
        func read(_ text: String) throws -> PostgresURL { try PostgresURL(try #require(URLComponents(string: text)), environment: [:]) }
        let socket = try read("postgres://u@%2Fvar%2Frun%2Fpostgresql/db")
        #expect(socket.isSocketFolder && socket.socketPath == "/var/run/postgresql/.s.PGSQL.5432")
        let parameters = try read("postgres:///db?host=/tmp/pg/&port=6000")
        #expect(parameters.isSocketFolder && parameters.socketPath == "/tmp/pg/.s.PGSQL.6000" && parameters.database == "db")
        let tcp = try read("postgres://u@a.example:1/db?host=b.example&port=2")
        #expect(!tcp.isSocketFolder && tcp.host == "b.example" && tcp.port == 2)
        for (text, message) in [("postgres://u@h/db?port=x", "port \"x\" is not a number"), ("postgres://u@h/db?port=70000", "port 70000 is not from 1 to 65535"),
                                ("postgres://u@h/db?host=", "host= needs a host name")] {
            #expect { try read(text) } throws: { "\($0)".contains(message) }
        }
    }

    @Test func aStoreOpensOverTheServersSocketAndWithThePasswordFile() throws {
        let server = try TestPostgres.shared()
        let url = try server.database()
        let database = String(try #require(url.split(separator: "/").last?.split(separator: "?").first))
        _ = try RunStore(location: url)
        // Over the Unix-domain socket (local connections are trusted on the test server).
        let folder = try #require(server.folder.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        for location in ["postgres://\(TestPostgres.user)@\(folder):\(server.port)/\(database)",
                         "postgres://\(TestPostgres.user)@/\(database)?host=\(server.folder)&port=\(server.port)"] {
            #expect(try RunStore(location: location).runCount() == 0, "\(location)")
        }
        let nowhere = try runTemper(["runs", "--store", "postgres://u@/db?host=/nonexistent&port=5999"])
        #expect(nowhere.status != 0 && nowhere.errors.contains("no PostgreSQL server answers at the socket /nonexistent/.s.PGSQL.5999"), "\(nowhere.errors)")
        // Over TCP with the password only in the password file, which must be private.
        let passwordFile = FileManager.default.temporaryDirectory.appendingPathComponent("pgpass-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: passwordFile) }
        try "127.0.0.1:\(server.port):\(database):\(TestPostgres.user):\(TestPostgres.password)\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let withoutPassword = "postgres://\(TestPostgres.user)@127.0.0.1:\(server.port)/\(database)?sslmode=disable"
        chmod(passwordFile, 0o600)
        let listed = try runTemper(["runs", "--store", withoutPassword], environment: ["PGPASSFILE": passwordFile])
        #expect(listed.status == 0, "\(listed.errors)")
        chmod(passwordFile, 0o644)
        let refused = try runTemper(["runs", "--store", withoutPassword], environment: ["PGPASSFILE": passwordFile])
        #expect(refused.status != 0 && refused.errors.contains("is readable or writable by its group or others")
                && refused.errors.contains("the server asks for a password and none was given"), "\(refused.errors)")
    }
}
