import Foundation
import Tracking

/// `temper bench --workload agents`: agents taking short trials from one sweep — each claims a
/// trial (reporting the last one's result in the same transaction, as `SweepRunner` does), sends
/// a heartbeat, "trains" for `trialSeconds`, and goes on until the sweep is done. Agents are
/// threads, each with a store of its own (its own connections), so they contend as processes do.
public enum AgentsBenchmark {
    public struct Figures: Sendable {
        public var agents: Int
        public var trials: Int
        public var seconds: Double
        /// Milliseconds in the store per trial (claim with the last result, heartbeat): median and 90th percentile.
        public var storeMilliseconds: Double
        public var storeMilliseconds90: Double
        public var trialsPerSecond: Double { Double(trials) / seconds }
    }

    /// Runs a sweep of `trialsPerAgent × agents` trials for each agent count in `agentCounts`, on
    /// the store at `location` (a directory or a URL).
    public static func run(location: String, agentCounts: [Int] = [1, 2, 4, 8], trialsPerAgent: Int = 40, trialSeconds: Double = 0.002) throws -> [Figures] {
        let store = try RunStore(location: location)
        return try agentCounts.map { agents in
            let total = agents * trialsPerAgent
            let sweep = try store.createSweep(project: "bench", name: "agents-\(agents)", method: "random", spec: "{}", seed: 1, specHash: UUID().uuidString)
            let timings = Timings()
            let started = Date()
            DispatchQueue.concurrentPerform(iterations: agents) { _ in
                do {
                    try agent(location: location, sweep: sweep.id, total: total, trialSeconds: trialSeconds, timings: timings)
                } catch {
                    timings.fail(error)
                }
            }
            let seconds = Date().timeIntervalSince(started)
            if let error = timings.error { throw error }
            let sorted = timings.perTrial.sorted()
            let finished = try store.trials(sweep.id).filter { $0.state == .finished }.count
            guard finished == total else { throw TrackingError.database("the agents finished \(finished) of \(total) trials") }
            return Figures(agents: agents, trials: total, seconds: seconds, storeMilliseconds: 1000 * sorted[sorted.count / 2],
                           storeMilliseconds90: 1000 * sorted[sorted.count * 9 / 10])
        }
    }

    private static func agent(location: String, sweep: String, total: Int, trialSeconds: Double, timings: Timings) throws {
        let store = try RunStore(location: location)
        var last: RunStore.TrialResult?
        while true {
            let claimStarted = Date()
            let claims = try store.claimTrials(sweep, count: 1, results: last.map { [$0] } ?? []) { context in
                context.number < total ? TrialProposal(config: ["x": .double(Double(context.number) / Double(total))], seed: UInt64(context.number)) : nil
            }
            var inStore = Date().timeIntervalSince(claimStarted)
            guard let claim = claims.first else { return }
            let beat = Date()
            _ = try store.heartbeat(claim)
            inStore += Date().timeIntervalSince(beat)
            timings.add(inStore)
            Thread.sleep(forTimeInterval: trialSeconds)
            last = RunStore.TrialResult(claim: claim, state: .finished, score: Double(claim.trial.number), error: nil)
        }
    }

    final class Timings: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Double] = []
        private var firstError: (any Error)?
        func add(_ seconds: Double) { lock.withLock { values.append(seconds) } }
        func fail(_ error: any Error) { lock.withLock { if firstError == nil { firstError = error } } }
        var perTrial: [Double] { lock.withLock { values } }
        var error: (any Error)? { lock.withLock { firstError } }
    }
}
