import ArgumentParser
import Foundation
import TerminalOutput
import Tracking
import Tuning

struct SweepImportanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "importance",
        abstract: "Which hyperparameters mattered: W&B's importance (random forest) and correlation, and the variance each explains (fANOVA main effect), with bootstrap intervals.")

    @Argument(help: "The sweep id (or a unique prefix, or its name).") var id: String
    @Option(name: [.customLong("store"), .customLong("dir")], help: "The run store: a directory, or a postgres://user:password@host:port/database URL (default: $TEMPER_STORE, else $TEMPER_DIR, else ./temper-runs).") var dir: String?
    @Option(help: "The seed of the forests and bootstraps (the same trials and seed give the same numbers).") var seed: UInt64 = 1

    func run() throws {
        let store = try RunStore(location: dir, access: .readOnly)
        let info = try store.sweep(id)
        let trials = try store.trials(info.id).filter { ($0.state == .finished || $0.state == .stopped) && $0.score?.isFinite == true }
        let flat = trials.map { trial in
            (config: Dictionary(trial.config.flattened.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }), score: trial.score ?? .nan)
        }
        let entries = try ParameterImportance.compute(flat, seed: seed)
        let metric = (try? SweepShowCommand.objective(info))??.name ?? "score"
        print("\(TerminalText.visible(info.name))  (\(info.id)): \(trials.count) scored trials, against \(TerminalText.visible(metric))")
        var table = TerminalTable(["parameter", "importance", "90% interval", "correlation", "variance explained", "90% interval"])
        for e in entries {
            table.append([TerminalText.visible(e.parameter), Self.f(e.importance), Self.range(e.importanceInterval), e.correlation.map { Self.signed($0) } ?? "—",
                          Self.f(e.varianceExplained), Self.range(e.varianceExplainedInterval)])
        }
        print(table.render())
    }

    static func f(_ x: Double) -> String { String(format: "%.3f", x) }
    static func signed(_ x: Double) -> String { String(format: "%+.3f", x) }
    static func range(_ r: ClosedRange<Double>) -> String { "\(f(r.lowerBound))–\(f(r.upperBound))" }
}
