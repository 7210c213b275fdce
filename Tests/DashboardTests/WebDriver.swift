import Foundation
import ProcessSupport

/// A W3C WebDriver session in headless Chromium through Debian's `chromedriver` (plain HTTP and
/// JSON): open pages, run scripts, read the browser's console.
final class WebDriver: @unchecked Sendable {
    let driver: Process
    let base: String
    private(set) var session = ""

    init() throws {
        guard let executable = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first(where: FileManager.default.isExecutableFile) else {
            throw TestSupportError("chromedriver is missing: scripts/install-dependencies --tests installs Debian's chromium-driver")
        }
        let port = 20_000 + Int(ProcessInfo.processInfo.processIdentifier % 20_000)
        driver = Process()
        driver.executableURL = URL(fileURLWithPath: executable)
        driver.arguments = ["--port=\(port)"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        base = "http://127.0.0.1:\(port)"
    }

    func start() async throws {
        let driver = self.driver
        try await onNewThread { try driver.run() }  // on a lasting thread (see onNewThread)
        let options: [String: Any] = ["args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800"]]
        let capabilities: [String: Any] = ["browserName": "chrome", "goog:chromeOptions": options, "goog:loggingPrefs": ["browser": "ALL"]]
        for attempt in 0..<50 {
            do {
                let value = try await call("POST", "/session", ["capabilities": ["alwaysMatch": capabilities]])
                guard let id = (value as? [String: Any])?["sessionId"] as? String else { throw TestSupportError("no session: \(value)") }
                session = id
                return
            } catch where attempt < 49 {
                try await Task.sleep(nanoseconds: 100_000_000)  // chromedriver is starting
            }
        }
    }

    func quit() async {
        if !session.isEmpty { _ = try? await call("DELETE", "/session/\(session)", nil) }
        // SIGKILL: a test process that ran a live server ignores SIGTERM (the server's signal
        // handling), and chromedriver inherits that: terminate() left it running.
        guard driver.processIdentifier > 0 else { return }
        kill(driver.processIdentifier, SIGKILL)
        let driver = self.driver
        _ = try? await onNewThread { driver.waitUntilExit() }
    }

    func open(_ url: String) async throws { _ = try await call("POST", "/session/\(session)/url", ["url": url]) }

    /// Runs `script` (a function body; `return` gives the value) in the page.
    func run(_ script: String, _ arguments: [Any] = []) async throws -> Any {
        try await call("POST", "/session/\(session)/execute/sync", ["script": script, "args": arguments])
    }

    /// Waits until `condition` (a script returning a boolean) holds, up to `seconds`.
    func wait(_ condition: String, seconds: Double = 10) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? await run(condition)) as? Bool == true { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        throw TestSupportError("timed out after \(seconds) s waiting for: \(condition)")
    }

    /// The console messages of level SEVERE since the last call.
    func consoleErrors() async throws -> [String] {
        let entries = try await call("POST", "/session/\(session)/se/log", ["type": "browser"]) as? [[String: Any]] ?? []
        return entries.filter { ($0["level"] as? String) == "SEVERE" }.compactMap { $0["message"] as? String }
    }

    func screenshot(to path: String) async throws {
        guard let text = try await call("GET", "/session/\(session)/screenshot", nil) as? String, let data = Data(base64Encoded: text) else { return }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// One WebDriver command through curl (swift-corelibs' URLSession failed on chromedriver's
    /// answers here: "Failed writing header"), waited for on a thread of its own so that the
    /// test's server goes on answering the browser meanwhile.
    private func call(_ method: String, _ path: String, _ body: [String: Any]?) async throws -> Any {
        var arguments = ["-s", "-m", "60", "-X", method, base + path]
        if let body {
            arguments += ["-H", "Content-Type: application/json", "--data-binary", String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)]
        }
        let data = try await curl(arguments, describing: "\(method) \(path)")
        let answer = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        if let value = answer?["value"] as? [String: Any], let error = value["error"] as? String {
            throw TestSupportError("WebDriver \(method) \(path): \(error): \((value["message"] as? String ?? "").prefix(300))")
        }
        return answer?["value"] ?? NSNull()
    }
}

/// What curl prints for `arguments`, waited for on a thread of its own (so that a server in the
/// test process goes on answering meanwhile); an error when curl fails.
func curl(_ arguments: [String], describing request: String) async throws -> Data {
    try await onNewThread {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = arguments
        let output = Pipe()
        curl.standardOutput = output
        try curl.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        guard curl.terminationStatus == 0 else { throw TestSupportError("curl \(request) failed with exit \(curl.terminationStatus)") }
        return data
    }
}
