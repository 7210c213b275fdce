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
        if quick {
            plan.executionsPerTrial = 1
            plan.name += "-quick"
            plan.space = try SearchSpace(plan.space.parameters.filter { $0.name != "epochs" }
                                         + [SearchParameter(name: "epochs", distribution: FixedHyperparameter(.int(quickEpochs)))])
        }
        return (plan, try SpecTrialExecutor(spec: trainSpec))
    }

    public func run(tracker: Tracker, log: @escaping @Sendable (String) -> Void) throws -> TechniqueResult {
        let (plan, executor) = try plan()
        let (sweep, resumed) = try Sweep.open(plan, in: tracker.store)
        log("\(example.name): sweep \(sweep.info.id)\(resumed ? " (resumed)" : ""), \(try plan.capacity().map(String.init) ?? "?") settings × \(plan.executionsPerTrial) seeds")
        let runner = try SweepRunner(sweep: sweep, tracker: tracker, executor: executor, workers: workers)
        let metric = plan.objective.name
        runner.onTrialEnd = { trial in
            let setting = trial.config.keys.sorted().filter { $0 != "epochs" || !quick }.map { "\($0)=\(trial.config[$0]?.description ?? "")" }.joined(separator: ", ")
            log("  \(setting): \(trial.state.rawValue), \(metric) \(trial.score.map { String(format: "%.4f", $0) } ?? trial.error ?? "-")")
        }
        try runner.run()
        try tracker.waitUntilWritten()
        return try TechniqueResult(example: example, sweep: sweep, store: tracker.store)
    }
}
