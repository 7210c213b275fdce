import Foundation
import TechniqueExamples
import Tracking
import Tuning

/// Runs one of the technique examples: its sweep file in this process (every trial trains the
/// example's train spec; `executions` seeds each), or resumes it, then reads the result back from
/// the store. `quick` trains each setting once for a few epochs (a sweep of its own, `<name>-quick`).
public struct TechniqueRun: Sendable {
    public let example: TechniqueCatalog.Example
    public var quick: Bool
    public var quickEpochs = 3
    public var workers = 1

    public init(example: TechniqueCatalog.Example, quick: Bool = false) {
        self.example = example
        self.quick = quick
    }

    /// The sweep's plan (the quick one when `quick`).
    public func plan() throws -> (plan: SweepPlan, executor: SpecTrialExecutor) {
        let spec = try SweepSpec.load(example.sweepPath)
        guard let trainSpec = try spec.inProcessTrainSpec() else {
            throw CatalogError("\(example.name): its sweep's program is not a Temper train spec")
        }
        var plan = try spec.plan(defaultProject: trainSpec.project)
        // The sweep is the same wherever Temper is installed, and another when its files change.
        plan.identity = try identity()
        plan.spec = try Self.markedSpec(plan.spec, example: example.name, quick: quick)
        if quick {
            plan.executionsPerTrial = 1
            plan.name += "-quick"
            plan.space = try SearchSpace(plan.space.parameters.filter { $0.name != "epochs" }
                                         + [SearchParameter(name: "epochs", distribution: FixedHyperparameter(.int(quickEpochs)))])
        }
        return (plan, try SpecTrialExecutor(spec: trainSpec))
    }

    /// Runs (or resumes) the sweep, waiting for trials other processes run; `stop` ends it early
    /// with `TechniqueInterrupted` (its finished trials stay; running it again resumes it).
    public func run(tracker: Tracker, stop: StopSignal = StopSignal(), log: @escaping @Sendable (String) -> Void) throws -> TechniqueResult {
        let (plan, executor) = try plan()
        let (sweep, resumed) = try Sweep.open(plan, in: tracker.store)
        log("\(example.name): sweep \(sweep.info.id)\(resumed ? " (resumed)" : ""), \(try plan.capacity().map(String.init) ?? "?") settings × \(plan.executionsPerTrial) seeds")
        let metric = plan.objective.name, quick = self.quick
        try SweepRunner.runToCompletion(sweep, tracker: tracker, executor: executor, workers: workers, stop: stop, onTrialEnd: { trial in
            let setting = trial.config.keys.sorted().filter { $0 != "epochs" || !quick }.map { "\($0)=\(trial.config[$0]?.description ?? "")" }.joined(separator: ", ")
            log("  \(setting): \(trial.state.rawValue), \(metric) \(trial.score.map { String(format: "%.4f", $0) } ?? trial.error ?? "-")")
        }, onWaiting: { log("\(example.name): waiting for trials another process is running") })
        try tracker.waitUntilWritten()
        if stop.isStopped {
            throw TechniqueInterrupted(description: "interrupted; sweep \(sweep.info.id) keeps its finished trials: run `\(command(quick: quick))` again to resume it")
        }
        let layerOrder = try executor.spec.model(executor.spec.config).layers.map(\.name)
        return try TechniqueResult(example: example, sweep: sweep, store: tracker.store, quick: quick, layerOrder: layerOrder)
    }

    /// The command that runs (and resumes) this example.
    func command(quick: Bool) -> String { "temper example \(example.name)\(quick ? " --quick" : "")" }

    /// The example's sweep file, train spec and data files, hashed: what makes its sweep the same one.
    func identity() throws -> String {
        let folder = (example.sweepPath as NSString).deletingLastPathComponent
        let data = ((folder as NSString).deletingLastPathComponent as NSString).appendingPathComponent("data")
        var parts = [try String(contentsOfFile: example.sweepPath, encoding: .utf8),
                     try String(contentsOfFile: (folder as NSString).appendingPathComponent("train.yaml"), encoding: .utf8)]
        for file in (try? FileManager.default.contentsOfDirectory(atPath: data))?.sorted() ?? [] where file.hasSuffix(".csv") {
            parts.append(file + "\u{1F}" + String(SweepSeeds.fnv1a(try String(contentsOfFile: (data as NSString).appendingPathComponent(file), encoding: .utf8)), radix: 16))
        }
        return "example \(example.name)\u{1F}" + parts.joined(separator: "\u{1F}")
    }

    /// The stored spec with the example's name (and quick mode) added, so `temper sweep resume`
    /// can say which command resumes it.
    static func markedSpec(_ spec: String, example: String, quick: Bool) throws -> String {
        var object = (try? JSONSerialization.jsonObject(with: Data(spec.utf8)) as? [String: String]) ?? [:]
        object["example"] = example
        object["quick"] = quick ? "true" : "false"
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// The command that made a sweep stored with `spec` (and resumes it), if `temper example` made it.
public func techniqueCommand(ofSweepSpec spec: String) -> String? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(spec.utf8)) as? [String: String], let example = object["example"] else { return nil }
    return "temper example \(example)\(object["quick"] == "true" ? " --quick" : "")"
}

/// A technique example stopped before its end.
public struct TechniqueInterrupted: Error, CustomStringConvertible {
    public let description: String
}
