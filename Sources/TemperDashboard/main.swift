import ArgumentParser
import Dashboard
import Foundation
import Tracking
import TrackingPostgres

/// `temper dashboard` (this program, which `temper dashboard` starts): the live dashboard over a
/// run store, read-only, on loopback unless asked otherwise.
@main
struct TemperDashboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "temper dashboard", abstract: "A live local dashboard over the run store (read-only).")

    @Option(name: [.customLong("store"), .customLong("dir")], help: "The run store: a directory, or a postgres://user:password@host:port/database URL (default: $TEMPER_STORE, else $TEMPER_DIR, else ./temper-runs).") var dir: String?
    @Option(help: "The port (0: any free one).") var port: Int = 6006
    @Option(help: "The address to listen on; anything but loopback lets anyone on the network read the runs.") var host: String = "127.0.0.1"

    @Option(help: "Write this sweep's page as one self-contained HTML file (--out) instead of serving (what `temper report --sweep` runs).")
    var reportSweep: String?
    @Option(help: "The file --report-sweep writes (never over the run store).") var out: String = "sweep.html"

    func run() async throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535, not \(port)") }
        PostgresEngine.register()
        let store = try RunStore(location: dir, access: .readOnly)
        if let reportSweep {
            try OutputFile.check(out, protecting: store.path)
            let html: String
            do {
                html = try SweepReport.html(api: DashboardAPI(store: store), sweep: reportSweep)
            } catch let error as DashboardError {
                // Not a usage mistake of this program (`temper report --sweep` runs it): no usage text.
                FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
                throw ExitCode.failure
            }
            try OutputFile.write(html, to: out, protecting: store.path)
            print("wrote \(out) (\(html.utf8.count / 1024) KiB): the sweep's page, self-contained; open it in a browser, no network needed")
            return
        }
        let assets = DashboardAssets()
        if !assets.hasChartLibrary {
            FileHandle.standardError.write(Data("warning: \(assets.vendorDirectory)/dygraph.min.js is missing, so the pages cannot draw charts; install Debian's libjs-dygraphs (scripts/install-dependencies does)\n".utf8))
        }
        let api = DashboardAPI(store: store)
        try api.warmUp()
        let app = DashboardServer.application(api: api, host: host, port: port) { bound in
            let shown = host.contains(":") ? "[\(host)]" : host
            if !DashboardServer.isLoopback(host) {
                FileHandle.standardError.write(Data("warning: listening on \(host): anyone who can reach this machine can read every run in \(store.path)\n".utf8))
            }
            print("temper dashboard: http://\(shown):\(bound)/ (store \(store.path); Ctrl-C to stop)")
            fflush(nil)
        }
        do {
            try await app.runService()
        } catch {
            FileHandle.standardError.write(Data("error: \(Self.cannotListen(host: host, port: port, because: error))\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Why the server could not start, and what to do.
    static func cannotListen(host: String, port: Int, because error: Error) -> String {
        let cause = "\(error)"
        if cause.contains("Address already in use") {
            return "port \(port) on \(host) is taken (by another temper dashboard?): pass --port with another number, or --port 0 for any free one"
        }
        if cause.contains("Cannot assign requested address") || cause.contains("unknown(host") || cause.contains("resolve") {
            return "cannot listen on \(host.prefix(100)): it is not an address of this machine; --host takes 127.0.0.1 (the default), ::1, or 0.0.0.0 for every interface"
        }
        return "cannot serve on \(host.prefix(100)):\(port): \(cause)"
    }
}
