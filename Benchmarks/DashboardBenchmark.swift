import Dashboard
import Foundation
import Tracking

/// `temper bench --workload dashboard`: the dashboard's API over a store of 10,000 runs × 100
/// epochs (four metrics each): the read of the store at startup, the runs page (first answer and
/// later ones, from the cache), filtered and sorted, and a run page's calls (the run and its history).
public enum DashboardBenchmark {
    public struct Figures: Sendable {
        public var runs: Int
        public var epochs: Int
        public var secondsToBuild: Double
        /// Milliseconds (medians over repetitions where repeated). `startupRead`: what
        /// `temper-dashboard` reads before it prints its address (`DashboardAPI.warmUp`).
        public var startupRead: Double
        public var firstRunsPage: Double
        public var runsPage: Double
        public var filteredSortedRunsPage: Double
        public var runPage: Double
        public var afterAChange: Double
    }

    /// What runs beside a run that logs: nothing, threads that only compute (the CPU a poller
    /// takes, without touching the store), or threads polling the dashboard's API without pause.
    public enum Neighbour: CaseIterable, Sendable {
        case nothing, computing, polling
    }

    /// Seconds to log `steps` steps of 4 metrics in one run and finish it, median of
    /// `repetitions`, beside each `Neighbour` (`pollers` threads); and the steps lost beside pollers.
    /// On a machine with few cores, `computing` against `nothing` is what sharing the CPU costs;
    /// `polling` against `computing` is what the dashboard's reads cost the writer beyond that.
    public static func loggingUnderPolling(directory: String, steps: Int = 20_000, pollers: Int = 2, repetitions: Int = 5)
        throws -> (seconds: [Neighbour: Double], lost: Int) {
        let tracker = try Tracker(dir: directory, flushInterval: 0.05, systemMetricsInterval: nil)
        let api = DashboardAPI(store: try RunStore(directory: directory, access: .readOnly))
        var seconds: [Neighbour: [Double]] = [:], lost = 0
        for _ in 0..<repetitions {
            for neighbour in Neighbour.allCases {
                let stop = Flag()
                let threads = (0..<(neighbour == .nothing ? 0 : pollers)).map { _ in
                    Thread {
                        var sink = 0.0
                        while !stop.isSet {
                            if neighbour == .computing {
                                for i in 0..<100_000 { sink += sin(Double(i)) }
                                continue
                            }
                            _ = try? api.runsPage(["sort": ["-loss"]])
                            if let id = (try? api.store.runs().last)?.id { _ = try? api.history(id, ["points": ["640"]]) }
                            _ = api.changeToken()
                        }
                        if sink == .pi { print(sink) }  // keeps the computation
                    }
                }
                threads.forEach { $0.start() }
                let started = Date()
                let run = try tracker.start(project: "polled", name: "\(neighbour)")
                for step in 0..<steps { run.log(["loss": 1 / Double(step + 1), "accuracy": 0.5, "val_loss": 1, "val_accuracy": 0.5], step: step) }
                try run.finish()
                seconds[neighbour, default: []].append(Date().timeIntervalSince(started))
                stop.set()
                if neighbour == .polling { lost += steps - (try api.store.history(run.id, keys: ["loss"])["loss"]?.count ?? 0) }
            }
        }
        return (seconds.mapValues { $0.sorted()[$0.count / 2] }, lost)
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
        func set() { lock.lock(); value = true; lock.unlock() }
    }

    /// Builds the store in `directory` unless it already holds `runs` runs, then times the API.
    public static func run(directory: String, runs: Int = 10_000, epochs: Int = 100, repetitions: Int = 20) throws -> Figures {
        let started = Date()
        try build(directory, runs: runs, epochs: epochs)
        let built = Date().timeIntervalSince(started)
        let api = DashboardAPI(store: try RunStore(directory: directory, access: .readOnly))
        let startup = try time { try api.warmUp() }
        let first = try time { _ = try api.runsPage([:]) }
        let page = try median(repetitions) { _ = try api.runsPage([:]) }
        let filtered = try median(repetitions) { _ = try api.runsPage(["filter": ["val_accuracy>0.5", "state=finished"], "sort": ["-val_accuracy"], "offset": ["100"]]) }
        let some = try RunStore(directory: directory, access: .readOnly).runs().last?.id ?? ""
        let runPage = try median(repetitions) {
            _ = try api.runDetail(some)
            _ = try api.history(some, ["points": ["640"]])
            _ = try api.systemMetrics(some, [:])
        }
        // A run logs (the store changes): the next runs page reads the store again.
        let tracker = try Tracker(dir: directory, systemMetricsInterval: nil)
        let extra = try tracker.start(project: "bench", name: "one more")
        extra.log(["loss": 1], step: 0)
        try extra.finish()
        let changed = try time { _ = try api.runsPage([:]) }
        return Figures(runs: runs, epochs: epochs, secondsToBuild: built, startupRead: startup, firstRunsPage: first, runsPage: page, filteredSortedRunsPage: filtered,
                       runPage: runPage, afterAChange: changed)
    }

    static func build(_ directory: String, runs: Int, epochs: Int) throws {
        if let existing = try? RunStore(directory: directory, access: .readOnly), (try? existing.runs().count) ?? 0 >= runs { return }
        let tracker = try Tracker(dir: directory, flushInterval: 5, systemMetricsInterval: nil)
        var random = SystemRandomNumberGenerator()
        for index in 0..<runs {
            let lr = Double.random(in: 0.0001...0.1, using: &random)
            let run = try tracker.start(project: "bench-\(index % 10)", name: "run-\(index)", config: ["lr": .double(lr), "units": .int(32 << (index % 4))],
                                        tags: index % 3 == 0 ? ["bn"] : [])
            for epoch in 0..<epochs {
                let progress = Double(epoch + 1) / Double(epochs)
                run.log(["loss": 1 / (1 + 10 * progress * lr * 10), "accuracy": 0.5 + 0.4 * progress, "val_loss": 1.1 / (1 + 9 * progress),
                         "val_accuracy": 0.45 + 0.45 * progress * Double.random(in: 0.8...1, using: &random)], step: epoch)
            }
            try run.finish(wait: false)
        }
        try tracker.waitUntilWritten()
    }

    static func time(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    static func median(_ repetitions: Int, _ body: () throws -> Void) throws -> Double {
        let times = try (0..<repetitions).map { _ in try time(body) }.sorted()
        return times[times.count / 2]
    }
}
