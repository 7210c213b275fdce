import Foundation
import ProcessSupport
import Testing

/// The throwaway server the tests start must not inherit the test process's descriptors: it runs
/// until the process exits, so a pipe it held open would never reach its end for the test that
/// reads it (a dashboard browser test once waited forever on curl's answer that way).
@Suite struct TestServerDescriptorTests {
    /// What `/proc/PID/fd/N` links to, for each open descriptor of `pid`.
    static func descriptors(of pid: String) -> Set<String> {
        let folder = "/proc/\(pid)/fd"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return Set(names.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/" + $0) })
    }

    @Test func aServerStartedWhileAPipeIsOpenDoesNotHoldIt() throws {
        let pipe = Pipe()  // open in this process while the server starts
        let writeEnd = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(pipe.fileHandleForWriting.fileDescriptor)")
        let server = try TestPostgres.start()
        let pidFile = try String(contentsOfFile: server.folder + "/data/postmaster.pid", encoding: .utf8)
        let pid = try #require(pidFile.split(separator: "\n").first.map(String.init))
        let held = Self.descriptors(of: pid)
        #expect(!held.isEmpty, "cannot read the server's descriptors (/proc/\(pid)/fd)")
        #expect(!held.contains(writeEnd), "the server holds this process's pipe \(writeEnd)")
        try pipe.fileHandleForWriting.close()
    }
}
