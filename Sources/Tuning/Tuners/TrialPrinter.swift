import Foundation
import Tracking

/// Prints a search's trials as Keras Tuner does with `verbose=1`: each trial's values beside the
/// best so far when it starts, its score and the best score when it ends.
final class TrialPrinter: @unchecked Sendable {
    let objective: Objective
    private let lock = NSLock()
    private let start = Date()
    private var started: [Int: Date] = [:]
    private var best: (score: Double, config: RunConfig)?

    init(objective: Objective) { self.objective = objective }

    func resumed(_ trials: [TrialInfo]) {
        let done = trials.filter { $0.state == .finished || $0.state == .stopped || $0.state == .failed }
        print("Resuming the search: \(done.count) trial\(done.count == 1 ? "" : "s") already done are kept")
        for trial in done { note(trial) }
    }

    func started(_ trial: TrialInfo) {
        lock.lock()
        defer { lock.unlock() }
        started[trial.number] = Date()
        var lines = ["", "Search: Running Trial #\(trial.number + 1)" + (trial.attempt > 1 ? " (again, after a crash)" : ""), "",
                     column("Value") + "|" + column("Best Value So Far") + "|Hyperparameter"]
        for (key, value) in trial.config.flattened {
            let bestValue = best.flatMap { $0.config.flattened.first { $0.key == key }?.value.description } ?? "?"
            lines.append(column(value.description) + "|" + column(bestValue) + "|" + key)
        }
        print(lines.joined(separator: "\n"))
    }

    func ended(_ trial: TrialInfo, sweep: Sweep) {
        lock.lock()
        defer { lock.unlock() }
        note(trial)
        let took = Date().timeIntervalSince(started.removeValue(forKey: trial.number) ?? start)
        var lines = ["", "Trial \(trial.number + 1) \(trial.state == .failed ? "Failed" : trial.state == .crashed ? "Interrupted" : "Complete") [\(Self.clock(took))]"]
        if let score = trial.score { lines.append("\(objective.name): \(score)") }
        if let error = trial.error { lines.append(error) }
        if let best { lines += ["", "Best \(objective.name) So Far: \(best.score)"] }
        lines.append("Total elapsed time: \(Self.clock(Date().timeIntervalSince(start)))")
        print(lines.joined(separator: "\n"))
    }

    private func note(_ trial: TrialInfo) {
        guard let score = trial.score, trial.state == .finished || trial.state == .stopped else { return }
        if best.map({ objective.isBetter(score, than: $0.score) }) ?? true { best = (score, trial.config) }
    }

    private func column(_ text: String) -> String {
        let cut = text.count > 18 ? String(text.prefix(15)) + "..." : text
        return cut.padding(toLength: 18, withPad: " ", startingAt: 0)
    }

    /// "00h 01m 05s".
    static func clock(_ seconds: TimeInterval) -> String {
        let total = Int(Swift.min(Swift.max(seconds, 0), 1e9).rounded())
        return String(format: "%02dh %02dm %02ds", total / 3600, total % 3600 / 60, total % 60)
    }
}
