import Foundation
import ProcessSupport
import Testing

/// The `temper-dashboard` program itself.
@Suite(.serialized)
struct DashboardProcessTests {
    /// Starts `temper-dashboard` on `dir` at a free port; its process and address.
    func startDashboard(_ dir: String) throws -> (Process, String) {
        let (process, output) = try launchTemper(program: "temper-dashboard", ["--dir", dir, "--port", "0"])  // on a lasting thread (see onNewThread)
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while !text.contains("/ (store"), Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let address = try #require(text.split(separator: " ").first { $0.hasPrefix("http://127.0.0.1:") }, "\(text)")
        return (process, String(address))
    }

    /// A hostile review found Ctrl-C never stopped the dashboard while a page (an event stream)
    /// was open.
    @Test func ctrlCStopsTheDashboardWhileAPageIsOpen() async throws {
        let (dir, _, _, _) = try dashboardStore("ctrlCStopsTheDashboardWhileAPageIsOpen")
        let (dashboard, address) = try await onNewThread { try startDashboard(dir) }
        // SIGKILL below: a test process that ran a live server ignores SIGTERM, and so do its children.
        defer { if dashboard.isRunning { kill(dashboard.processIdentifier, SIGKILL) } }
        let stream = Process()
        stream.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        stream.arguments = ["-sN", "-m", "60", address + "api/events"]
        let received = Pipe()
        stream.standardOutput = received
        try await onNewThread { try stream.run() }
        defer { if stream.isRunning { kill(stream.processIdentifier, SIGKILL) } }
        let hello = try await onNewThread { String(decoding: received.fileHandleForReading.availableData, as: UTF8.self) }
        #expect(hello.contains("event: hello"))
        kill(dashboard.processIdentifier, SIGINT)
        let exited = try await onNewThread {
            let deadline = Date().addingTimeInterval(10)
            while dashboard.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            return !dashboard.isRunning
        }
        #expect(exited, "the dashboard still runs 10 s after Ctrl-C with a page open")
        kill(stream.processIdentifier, SIGKILL)
        try await onNewThread {
            stream.waitUntilExit()
            if dashboard.isRunning { kill(dashboard.processIdentifier, SIGKILL) }
            dashboard.waitUntilExit()
        }
    }
}
