import Foundation

/// Helpers for tests that start programs (`temper`, the tracking probe) and use throwaway stores.

/// A fresh directory for a store.
public func temporaryStore(_ name: String = #function) -> String {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("temper-tracking-\(ProcessInfo.processInfo.processIdentifier)-\(name.filter { $0.isLetter })-\(UUID().uuidString.prefix(6))").path
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

/// The `temper` executable built next to the test bundle.
public func temperExecutable(_ name: String = "temper") throws -> String {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<3 {
        let candidate = directory.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/release/\(name)"
    if FileManager.default.isExecutableFile(atPath: fallback) { return fallback }
    throw TestSupportError("the \(name) executable was not built next to the tests (\(CommandLine.arguments[0]))")
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Starts `temper` with arguments, its standard output piped (with `mergingErrors`, its standard
/// error into the same pipe).
public func launchTemper(program: String = "temper", _ arguments: [String], mergingErrors: Bool = false) throws -> (Process, Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try temperExecutable(program))
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_CORETYPE"] = environment["OPENBLAS_CORETYPE"] ?? "Haswell"  // no re-exec in children
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = mergingErrors ? output : FileHandle.nullDevice
    try process.run()
    return (process, output)
}

/// What a `temper` process did.
public struct TemperResult {
    public var status: Int32
    public var output: String
    public var errors: String
    /// True when it was still running at the deadline and was killed.
    public var timedOut: Bool
}

/// Runs `temper` to its end (at most `timeout` seconds), with `input` on its standard input, extra
/// `environment` variables, and as the unprivileged user `nobody` when `asNobody`.
public func runTemper(_ arguments: [String], input: String = "", environment extra: [String: String] = [:], asNobody: Bool = false,
               timeout: TimeInterval = 120) throws -> TemperResult {
    let process = Process()
    let executable = try temperExecutable()
    if asNobody {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", executable] + arguments
    } else {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    }
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_CORETYPE"] = environment["OPENBLAS_CORETYPE"] ?? "Haswell"  // no re-exec in children
    for (key, value) in extra { environment[key] = value }
    process.environment = environment
    let files = FileManager.default.temporaryDirectory.appendingPathComponent("temper-out-\(UUID().uuidString.prefix(8))")
    let (out, err) = (files.path + ".out", files.path + ".err")
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: out)
        try? FileManager.default.removeItem(atPath: err)
    }
    let stdin = Pipe()
    process.standardInput = stdin
    process.standardOutput = FileHandle(forWritingAtPath: out)
    process.standardError = FileHandle(forWritingAtPath: err)
    try process.run()
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    let timedOut = process.isRunning
    if timedOut { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
    return TemperResult(status: process.terminationStatus, output: read(out), errors: read(err), timedOut: timedOut)
}

/// The bytes of a file (empty when it does not exist), to check that a command left it alone.
public func contents(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

/// The names in a directory, sorted.
public func listing(_ directory: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() }

/// Whether this process may mount file systems and change users (the tmpfs and unprivileged-user
/// tests need it); prints why a test is skipped when not.
public func runningAsRoot(for test: String) -> Bool {
    if getuid() == 0 { return true }
    print("skipped \(test): it needs root (to mount a tmpfs or to run a command as the user nobody)")
    return false
}
