import TerminalOutput
import ArgumentParser
import Foundation
import Tracking
import Tuning

/// The live view of a running sweep: one line, redrawn in place on a terminal (trials done,
/// running and in all, the best score so far with its configuration, elapsed time and ETA), and a
/// line per trial that ends; plain lines when the output is not a terminal; nothing with --quiet.
final class LiveView: @unchecked Sendable {
    let sweep: Sweep
    let quiet: Bool
    private let terminal = isatty(STDOUT_FILENO) == 1
    private let lock = NSLock()
    private var status = ""
    /// The scored trials when the parameters were last ranked.
    private var rankedAt = 0

    init(sweep: Sweep, quiet: Bool) {
        self.sweep = sweep
        self.quiet = quiet
    }

    func progress(_ progress: SweepProgress) {
        guard !quiet else { return }
        var parts = ["\(progress.finished + progress.failed)\(progress.total.map { "/\($0)" } ?? "") done"]
        if progress.failed > 0 { parts[0] += " (\(progress.failed) failed)" }
        parts.append("\(progress.running) running")
        if let best = progress.best, let score = best.score {
            parts.append("best \(sweep.plan.objective.name) \(Self.number(score)) (trial \(best.number): \(Self.describe(best.config)))")
        }
        parts.append(Self.clock(progress.elapsed) + " elapsed")
        if let remaining = progress.remaining { parts.append("ETA " + Self.clock(remaining)) }
        lock.lock()
        status = TerminalText.visible(parts.joined(separator: " · "))
        if terminal { draw() }
        lock.unlock()
    }

    func ended(_ trial: TrialInfo) {
        guard !quiet else { return }
        let result: String
        switch trial.state {
        case .finished, .stopped: result = "\(sweep.plan.objective.name) \(trial.score.map(Self.number) ?? "?")"
        case .failed: result = "failed: " + (trial.error ?? "").split(separator: "\n").prefix(3).joined(separator: " | ")
        case .crashed: result = trial.error ?? "interrupted (runs again on resume)"
        case .running, .pending: result = trial.state.rawValue
        }
        note("trial \(trial.number) \(TerminalText.visible(result)) — \(Self.describe(trial.config))")
        noteImportance(after: trial)
    }

    /// Each time the scored trials pass another multiple of `importanceEvery` (of 10 times that
    /// from 100 trials on; trials end in batches, so the count may jump), the parameters ranked by
    /// importance so far.
    private func noteImportance(after trial: TrialInfo) {
        guard trial.state == .finished || trial.state == .stopped, let trials = try? sweep.trials() else { return }
        let scored = trials.filter { ($0.state == .finished || $0.state == .stopped) && $0.score?.isFinite == true }.count
        lock.lock()
        let every = scored < 100 ? Self.importanceEvery : 10 * Self.importanceEvery  // a ranking costs more with more trials
        let due = scored / every > rankedAt / every
        if due { rankedAt = scored }
        lock.unlock()
        guard due, let line = SweepShowCommand.importanceLine(trials, hint: false) else { return }
        note("after \(scored) trials, " + line)
    }

    /// How often (in scored trials, ten times as seldom from 100 on) the live view ranks the parameters.
    static let importanceEvery = 10

    /// A line of its own (above the live line on a terminal).
    func note(_ text: String) {
        guard !quiet else { return }
        lock.lock()
        if terminal { print("\r\u{1B}[K", terminator: "") }
        print(TerminalText.visible(text))
        if terminal { draw() }
        fflush(nil)
        lock.unlock()
    }

    func finish() {
        guard !quiet, terminal else { return }
        lock.lock()
        print("\r\u{1B}[K" + status)
        lock.unlock()
    }

    private func draw() {
        let width = Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 120
        print("\r\u{1B}[K" + String(status.prefix(Swift.max(width - 1, 20))), terminator: "")
        fflush(nil)
    }

    /// `key=value` pairs of a configuration, dotted keys for nested ones.
    /// `key=value, …`, control characters escaped (a configuration may come from a shared store).
    static func describe(_ config: RunConfig) -> String {
        TerminalText.visible(config.flattened.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
    }

    static func number(_ value: Double) -> String { String(format: "%.4g", value) }

    static func clock(_ seconds: TimeInterval) -> String {
        let total = Int(Swift.min(Swift.max(seconds, 0), 1e8).rounded())
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total % 3600 / 60, total % 60) : String(format: "%02d:%02d", total / 60, total % 60)
    }
}

struct SweepShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "A sweep's trials, best first, with their configurations, states and the best configuration.")

    @Argument(help: "The sweep id (or a unique prefix, or its name).") var id: String
    @Option(name: [.customLong("store"), .customLong("dir")], help: "The run store: a directory, or a postgres://user:password@host:port/database URL (default: $TEMPER_STORE, else $TEMPER_DIR, else ./temper-runs).") var dir: String?

    func run() throws {
        let store = try RunStore(location: dir, access: .readOnly)
        let info = try store.sweep(id)
        let trials = try store.trials(info.id)
        let objective = try Self.objective(info)
        let v = TerminalText.visible
        print("\(v(info.name))  (\(v(info.id)))  project \(v(info.project))  \(info.method)  \(info.state.rawValue)  seed \(info.seed)")
        let counts = Dictionary(grouping: trials, by: \.state).mapValues(\.count)
        print(TrialState.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }.joined(separator: " · ") + (trials.isEmpty ? "no trials yet" : ""))
        let sorted = trials.sorted { a, b in
            switch (a.score, b.score) {
            case let (x?, y?): return objective.map { $0.isBetter(x, than: y) || (x == y && a.number < b.number) } ?? (a.number < b.number)
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a.number < b.number
            }
        }
        let keys = Array(Set(trials.flatMap { $0.config.flattened.map(\.key) })).sorted()
        var table = TerminalTable(["trial", "state", objective?.name ?? "score"] + keys + ["attempts", "runs"])
        for trial in sorted {
            let config = Dictionary(trial.config.flattened.map { ($0.key, $0.value.description) }, uniquingKeysWith: { a, _ in a })
            table.append(([String(trial.number), trial.state.rawValue, trial.score.map(LiveView.number) ?? ""] + keys.map { Self.cut(config[$0] ?? "") }
                          + [String(trial.attempt), String(trial.runIDs.count)]).map(v))
        }
        print(table.render())
        if let best = sorted.first, best.score != nil {
            print("\nbest: trial \(best.number), \(objective?.name ?? "score") \(best.score.map(LiveView.number) ?? "")")
            for (key, value) in best.config.flattened { print("  \(v(key)): \(v(value.description))") }
        }
        if let line = Self.importanceLine(trials) { print("\n" + v(line)) }
        for trial in trials where trial.state == .failed {
            print("\ntrial \(trial.number) failed: \(v(trial.error ?? ""))")
        }
        let stopped = trials.filter { $0.state == .stopped }
        if !stopped.isEmpty { print("") }
        for trial in stopped { print("trial \(trial.number) \(v(trial.error ?? "stopped"))") }
    }

    /// The parameters by importance (`temper sweep importance` has the rest), once 5 trials have scores.
    static func importanceLine(_ trials: [TrialInfo], hint: Bool = true) -> String? {
        let scored = trials.filter { ($0.state == .finished || $0.state == .stopped) && $0.score?.isFinite == true }
        guard scored.count >= 5 else { return nil }
        let flat = scored.map { (config: Dictionary($0.config.flattened.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }), score: $0.score ?? .nan) }
        // The ranking alone needs no intervals (20 bootstrap forests: seconds on 1,000 trials).
        guard let entries = try? ParameterImportance.compute(flat, bootstraps: 0), !entries.isEmpty else { return nil }
        return "importance: " + entries.map { "\($0.parameter) \(String(format: "%.2f", $0.importance))" }.joined(separator: ", ")
            + (hint ? " (temper sweep importance for correlations, variance explained and intervals)" : "")
    }

    /// A cell of at most 40 characters (the best configuration below shows values whole).
    static func cut(_ text: String) -> String { text.count > 40 ? String(text.prefix(39)) + "…" : text }

    /// The sweep's objective, from its stored spec.
    static func objective(_ info: SweepInfo) throws -> Objective? {
        StoredObjective.objective(spec: info.spec)
    }
}

struct SweepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sweeps", abstract: "The sweeps in the store: id, name, method, state, trials, best score.")

    @Option(help: "Only sweeps of this project.") var project: String?
    @Option(name: [.customLong("store"), .customLong("dir")], help: "The run store: a directory, or a postgres://user:password@host:port/database URL (default: $TEMPER_STORE, else $TEMPER_DIR, else ./temper-runs).") var dir: String?

    func run() throws {
        let store = try RunStore(location: dir, access: .readOnly)
        let sweeps = try store.sweeps(project: project)
        var table = TerminalTable(["id", "name", "project", "method", "state", "trials", "finished", "best", "created"])
        for info in sweeps {
            let trials = try store.trials(info.id)
            let objective = try SweepShowCommand.objective(info)
            let scores = trials.filter { $0.state == .finished || $0.state == .stopped }.compactMap(\.score)
            let best = objective.flatMap { o in scores.reduce(nil as Double?) { b, x in b.map { o.isBetter(x, than: $0) ? x : $0 } ?? x } }
            let created = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: info.createdAt))
            table.append([info.id, info.name, info.project, info.method, info.state.rawValue, String(trials.count), String(scores.count),
                          best.map(LiveView.number) ?? "", created].map(TerminalText.visible))
        }
        print(table.render())
        print("\(sweeps.count) sweep\(sweeps.count == 1 ? "" : "s") in \(TerminalText.visible(store.path))")
    }
}
