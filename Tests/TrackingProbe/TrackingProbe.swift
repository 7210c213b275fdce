import ArgumentParser
import Foundation
import Tracking

/// A helper program for the run store's process-level tests (not shipped): logs steps to runs as
/// fast as asked and prints each step once it has been handed to the run.
@main
struct TrackingProbe: ParsableCommand {
    nonisolated(unsafe) static var linger = 0.0
    static let configuration = CommandConfiguration(commandName: "tracking-probe", abstract: "Log synthetic steps (for tests).")

    @Option var dir: String
    @Option var project: String = "probe"
    @Option var runs: Int = 1
    @Option var steps: Int = 100
    @Option(help: "Milliseconds between steps.") var interval: Double = 0
    @Flag var finish = false
    @Option(help: "Seconds the process lingers at exit after the run store closed its files.") var lingerAtExit: Double = 0

    func run() throws {
        if lingerAtExit > 0 {
            // Registered before the store's own exit handler, so it runs after it.
            Self.linger = lingerAtExit
            atexit { usleep(useconds_t(TrackingProbe.linger * 1_000_000)) }
        }
        let tracker = try Tracker(dir: dir, heartbeatInterval: 0.5, systemMetricsInterval: nil)
        for r in 0..<runs {
            let run = try tracker.start(project: project, name: "probe-\(ProcessInfo.processInfo.processIdentifier)-\(r)", config: ["run": .int(r)])
            for step in 0..<steps {
                run.log(["value": Double(step), "square": Double(step * step)], step: step)
                run.logHistogram(name: "h", values: [Double(step), 1, 2, 3], step: step, bins: 4)
                print("step \(step)")
                fflush(nil)
                if interval > 0 { usleep(useconds_t(interval * 1000)) }
            }
            if finish { try run.finish() }
        }
    }
}
