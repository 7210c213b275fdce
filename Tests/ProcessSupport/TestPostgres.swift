import Foundation

/// A throwaway PostgreSQL server for the tests: `initdb` into a temporary folder, `pg_ctl start`
/// on a free loopback port (fsync off: nothing in it outlives the tests), stopped when the test
/// process exits. Started once per test process, on first use; every test takes a database of
/// its own (`database()`). When the process runs as root, the server runs as the `postgres` user
/// (PostgreSQL refuses root), through `setpriv`.
///
/// Password authentication over TCP (scram-sha-256), so a wrong password is really refused.
public final class TestPostgres: @unchecked Sendable {
    public static let user = "temper"
    public static let password = "temper-test-pw"

    public let port: Int
    public let folder: String
    let binaries: String
    private let runAs: (uid: UInt32, gid: UInt32)?

    /// The server of this test process, started on first use.
    public static func shared() throws -> TestPostgres {
        try lock.withLock {
            if let server = sharedServer { return server }
            let server = try startLocked()
            sharedServer = server
            return server
        }
    }

    /// A server of the caller's own (to restart it, say), stopped at exit like the shared one.
    public static func start() throws -> TestPostgres {
        try lock.withLock { try startLocked() }
    }

    private static func startLocked() throws -> TestPostgres {
        let server = try TestPostgres()
        if servers.isEmpty { atexit { TestPostgres.stopAll() } }
        servers.append(server)
        return server
    }

    private static func stopAll() {
        for server in servers { server.stop() }
    }

    nonisolated(unsafe) private static var sharedServer: TestPostgres?
    nonisolated(unsafe) private static var servers: [TestPostgres] = []
    private static let lock = NSLock()

    private init() throws {
        binaries = try Self.findBinaries()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("temper-pg-\(getpid())-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if getuid() == 0 {
            guard let account = getpwnam("postgres") else {
                throw TestSupportError("running as root, the test server needs the user postgres (Debian's postgresql package creates it)")
            }
            runAs = (account.pointee.pw_uid, account.pointee.pw_gid)
            chown(folder, account.pointee.pw_uid, account.pointee.pw_gid)
        } else {
            runAs = nil
        }
        port = try Self.freePort()
        let passwordFile = folder + "/pw"
        try Self.password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        if let runAs { chown(passwordFile, runAs.uid, runAs.gid) }
        try run("initdb", ["-D", folder + "/data", "-U", Self.user, "--pwfile", passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256",
                           "-E", "UTF8", "--no-sync"])
        try run("pg_ctl", ["-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "60", "start",
                           "-o", "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200"])
    }

    /// The URL of a new, empty database `name` (made unique) on this server.
    public func database(_ name: String = #function) throws -> String {
        let unique = "t_" + name.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(30) + "_" + UUID().uuidString.prefix(8).lowercased()
        try sql("CREATE DATABASE \(unique)")
        return url(database: unique)
    }

    public func url(database: String, password: String = TestPostgres.password) -> String {
        "postgres://\(Self.user):\(password)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Runs SQL with psql in `database` (over the local socket), returning its output.
    @discardableResult
    public func sql(_ statement: String, database: String = "postgres") throws -> String {
        try run("psql", ["-h", folder, "-p", "\(port)", "-U", Self.user, "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", statement])
    }

    /// Restarts the server (`pg_ctl restart`, fast shutdown: connections are closed).
    public func restart() throws {
        try run("pg_ctl", ["-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "60", "-m", "fast", "restart",
                           "-o", "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200"])
    }

    func stop() {
        _ = try? run("pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs a program to its end (as the postgres user when this process is root), its output
    /// in a file. posix_spawn and waitpid, not Foundation's Process: pg_ctl leaves the server
    /// running in the background, and Process reaped pg_ctl only through the run loop of the
    /// thread that started it, which a test's thread does not run (pg_ctl stayed a zombie).
    @discardableResult
    private func run(_ program: String, _ arguments: [String]) throws -> String {
        var argv = [binaries + "/" + program] + arguments
        if let runAs { argv = ["/usr/bin/setpriv", "--reuid=\(runAs.uid)", "--regid=\(runAs.gid)", "--clear-groups"] + argv }
        let output = folder + "/\(program)-\(UUID().uuidString.prefix(6)).out", errors = output + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Nothing else of this process: the server pg_ctl leaves running would otherwise hold
        // every descriptor open at this moment, such as the pipe another test reads to its end
        // (curl's answer to the dashboard's browser test, which then waited forever).
        guard let addCloseFrom = Self.addCloseFrom, addCloseFrom(&actions, 3) == 0 else {
            throw TestSupportError("this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later): the test server would hold this process's descriptors")
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
        // Standard error apart: run as postgres from a folder it may not enter, psql warns
        // "could not change directory" there, which is not its answer.
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw TestSupportError("cannot start \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = String(decoding: FileManager.default.contents(atPath: output) ?? Data(), as: UTF8.self)
        let warnings = String(decoding: FileManager.default.contents(atPath: errors) ?? Data(), as: UTF8.self)
        try? FileManager.default.removeItem(atPath: output)
        try? FileManager.default.removeItem(atPath: errors)
        let exited = status & 0x7f == 0, code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw TestSupportError("\(program) \(arguments.joined(separator: " ")) failed (status \(status)): \(text)\(warnings)")
        }
        return text
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; Swift's Glibc module
    /// does not declare it): the spawned program gets no descriptor from 3 up.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }

    /// Debian's server programs (`/usr/lib/postgresql/<version>/bin`, the newest), else `pg_config --bindir`.
    private static func findBinaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        if let newest = versions.last, FileManager.default.isExecutableFile(atPath: "\(root)/\(newest)/bin/initdb") { return "\(root)/\(newest)/bin" }
        throw TestSupportError("no PostgreSQL server programs in \(root)/*/bin; `scripts/install-dependencies --tests` installs them (Debian's postgresql)")
    }

    private static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestSupportError("cannot open a socket to find a free port") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw TestSupportError("cannot bind a socket to find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
