import ArgumentParser
import Foundation

/// `temper dashboard [--dir D] [--port 6006] [--host 127.0.0.1]` runs `temper-dashboard`, built
/// next to `temper`: the live dashboard's web server is a program of its own, so `temper` builds
/// without it.
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "A live local dashboard over the run store, read-only, on loopback (runs temper-dashboard; see temper-dashboard --help).")

    @Argument(parsing: .captureForPassthrough, help: "temper-dashboard's options (--dir, --port, --host).")
    var arguments: [String] = []

    func run() throws {
        try CompanionProgram(name: "temper-dashboard").exec(arguments)
    }
}
