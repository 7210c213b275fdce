import Foundation
import Testing

/// A fresh directory for a store.
func temporaryStore(_ name: String = #function) -> String {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("temper-tracking-\(ProcessInfo.processInfo.processIdentifier)-\(name.filter { $0.isLetter })-\(UUID().uuidString.prefix(6))").path
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

/// The `temper` executable built next to the test bundle.
func temperExecutable() throws -> String {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<3 {
        let candidate = directory.appendingPathComponent("temper").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/release/temper"
    if FileManager.default.isExecutableFile(atPath: fallback) { return fallback }
    throw TestSupportError("the temper executable was not built next to the tests (\(CommandLine.arguments[0]))")
}

struct TestSupportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Starts `temper` with arguments, its standard output piped (with `mergingErrors`, its standard
/// error into the same pipe).
func launchTemper(_ arguments: [String], mergingErrors: Bool = false) throws -> (Process, Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try temperExecutable())
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
