import Foundation
import Tracking

/// `temper bench --workload agents`: agents taking short trials from one sweep. Each claims
/// `batch` trials in one transaction (reporting the results of the last ones in it, as
/// `SweepRunner` does; the runner sizes batches to take about 50 ms, so short trials come many per
/// claim), "trains" each for `trialSeconds`, and goes on until the sweep is done; after each claim
/// it sends one heartbeat, timed apart (the runner sends them every few seconds, not per trial).
/// Agents are threads, each with a store of its own (its own connections), so they contend as
/// processes do.
public enum AgentsBenchmark {
    public struct Figures: Sendable {
        public var agents: Int
        public var batch: Int
        public var trials: Int
        public var seconds: Double
        /// Milliseconds per trial spent claiming it and reporting its result (a claim's time over
        /// the trials it took): median and 90th percentile over claims.
        public var claimMilliseconds: Double
        public var claimMilliseconds90: Double
        /// Milliseconds per heartbeat (median).
        public var heartbeatMilliseconds: Double
        public var trialsPerSecond: Double { Double(trials) / seconds }
    }

    /// Runs a sweep of `trialsPerAgent × agents` trials for each agent count and batch size, on
    /// the store at `location` (a directory or a URL).
    public static func run(location: String, agentCounts: [Int] = [1, 2, 4, 8], batches: [Int] = [1, 25], trialsPerAgent: Int = 50,
                           trialSeconds: Double = 0.002) throws -> [Figures] {
        let store = try RunStore(location: location)
        var figures: [Figures] = []
        for batch in batches {
            for agents in agentCounts {
                let total = agents * trialsPerAgent
                let sweep = try store.createSweep(project: "bench", name: "agents-\(agents)-\(batch)", method: "random", spec: "{}", seed: 1,
                                                  specHash: UUID().uuidString)
                let timings = Timings()
                let started = Date()
                DispatchQueue.concurrentPerform(iterations: agents) { _ in
                    do {
                        try agent(location: location, sweep: sweep.id, total: total, batch: batch, trialSeconds: trialSeconds, timings: timings)
                    } catch {
                        timings.fail(error)
                    }
                }
                let seconds = Date().timeIntervalSince(started)
                if let error = timings.error { throw error }
                let finished = try store.trials(sweep.id).filter { $0.state == .finished }.count
                guard finished == total else { throw TrackingError.database("the agents finished \(finished) of \(total) trials") }
                let claims = timings.claims.sorted(), beats = timings.heartbeats.sorted()
                figures.append(Figures(agents: agents, batch: batch, trials: total, seconds: seconds, claimMilliseconds: 1000 * claims[claims.count / 2],
                                       claimMilliseconds90: 1000 * claims[claims.count * 9 / 10], heartbeatMilliseconds: 1000 * beats[beats.count / 2]))
            }
        }
        return figures
    }

    private static func agent(location: String, sweep: String, total: Int, batch: Int, trialSeconds: Double, timings: Timings) throws {
        let store = try RunStore(location: location)
        var results: [RunStore.TrialResult] = []
        while true {
            let claimStarted = Date()
            let claims = try store.claimTrials(sweep, count: batch, withScores: false, results: results) { context in
                context.number < total ? TrialProposal(config: ["x": .double(Double(context.number) / Double(total))], seed: UInt64(context.number)) : nil
            }
            let claimSeconds = Date().timeIntervalSince(claimStarted)
            guard let first = claims.first else { return }
            timings.addClaim(claimSeconds / Double(claims.count))
            let beat = Date()
            _ = try store.heartbeat(first)
            timings.addHeartbeat(Date().timeIntervalSince(beat))
            results = claims.map { claim in
                Thread.sleep(forTimeInterval: trialSeconds)
                return RunStore.TrialResult(claim: claim, state: .finished, score: Double(claim.trial.number), error: nil)
            }
        }
    }

    final class Timings: @unchecked Sendable {
        private let lock = NSLock()
        private var claimValues: [Double] = [], heartbeatValues: [Double] = []
        private var firstError: (any Error)?
        func addClaim(_ seconds: Double) { lock.withLock { claimValues.append(seconds) } }
        func addHeartbeat(_ seconds: Double) { lock.withLock { heartbeatValues.append(seconds) } }
        func fail(_ error: any Error) { lock.withLock { if firstError == nil { firstError = error } } }
        var claims: [Double] { lock.withLock { claimValues } }
        var heartbeats: [Double] { lock.withLock { heartbeatValues } }
        var error: (any Error)? { lock.withLock { firstError } }
    }
}
