import Foundation
import Models
import Runtime
import Tracking

/// Keras Tuner's tuners in Swift: `RandomSearch` and `GridSearch` (Bayesian optimization and
/// Hyperband take the same arguments). The closure builds and compiles a model from `hp`:
///
/// ```swift
/// let tuner = try RandomSearch(objective: .maximize("val_accuracy"), maxTrials: 5, executionsPerTrial: 3,
///                              seed: 1, directory: "my_dir", projectName: "helloworld") { hp in
///     let model = Sequential { Dense(try hp.int("units", min: 32, max: 512, step: 32), activation: .relu)
///                              Dense(1, activation: .sigmoid) }
///     try model.compile(optimizer: Adam(learningRate: try hp.choice("learning_rate", [1e-2, 1e-3, 1e-4])),
///                       loss: .binaryCrossEntropy, metrics: [.accuracy])
///     return model
/// }
/// try tuner.search(x: trainX, y: trainY, epochs: 500, batchSize: 32, validationData: (testX, testY))
/// print(tuner.resultsSummary())
/// ```
///
/// - The search space is learned by building the model once with every default before the first
///   trial; every trial (the first too) then takes sampled values.
/// - A trial's score is Keras Tuner's: in each execution, the best epoch's value of the objective;
///   averaged over the executions. Each execution's model is seeded from the tuner's seed, the
///   trial and the execution (leave `seed:` out of `Sequential` in the closure), so a search is
///   reproducible, and `parallel` threads give the same trials and results as one.
/// - Every execution is a run in the run store at `directory` (project `projectName`), with its
///   configuration, history and trial number, so `temper runs` and `temper report` show them.
///   Searching again with the same arguments resumes the search: finished trials are kept, an
///   interrupted one runs again (`overwrite: true` starts a new search).
/// - `bestModels` restores each trial's weights of the best epoch of its best execution, saved
///   under `directory/projectName/`.
public class Tuner {
    public let objective: Objective
    public let maxTrials: Int?
    public let executionsPerTrial: Int
    public let seed: UInt64
    public let directory: String
    public let projectName: String
    public let overwrite: Bool
    /// Trials trained at once, on as many threads (OpenBLAS runs single-threaded in each).
    public let parallel: Int
    let method: SearchMethod
    /// Bayesian optimization's random trials before the model, and its lag (see `BayesianSampler`).
    var initialPoints: Int?
    var lag = 1
    /// Keras Tuner's Hyperband schedule (the `Hyperband` tuner).
    var hyperband: HyperbandSampler?
    /// Stops trials early (`.asha`, `.hyperband` or W&B's rule), judged against the trials before
    /// them by more than the lag; nil (the default) trains every trial whole. Its direction must be
    /// the objective's. A different policy makes a different search (it does not resume this one).
    public var earlyTermination: EarlyTermination?
    let build: @Sendable (HyperParameters) throws -> Sequential
    /// The search space, known after the first `search` (or `searchSpaceSummary`).
    public private(set) var space: SearchSpace?
    /// The sweep of the last `search`.
    public private(set) var sweep: Sweep?
    /// The features of the last search's inputs (for models whose first layer gives no input shape).
    private var inputColumns: Int?

    init(method: SearchMethod, objective: Objective, maxTrials: Int?, executionsPerTrial: Int, seed: UInt64, directory: String, projectName: String,
         overwrite: Bool, parallel: Int, build: @escaping @Sendable (HyperParameters) throws -> Sequential) throws {
        guard executionsPerTrial >= 1 else { throw TuningError.invalidSearch("executionsPerTrial must be at least 1, not \(executionsPerTrial)") }
        guard parallel >= 1 else { throw TuningError.invalidSearch("parallel must be at least 1, not \(parallel)") }
        if let maxTrials, maxTrials < 1 { throw TuningError.invalidSearch("maxTrials must be at least 1, not \(maxTrials)") }
        self.method = method
        self.objective = objective
        self.maxTrials = maxTrials
        self.executionsPerTrial = executionsPerTrial
        self.seed = seed
        self.directory = directory
        self.projectName = projectName
        self.overwrite = overwrite
        self.parallel = parallel
        self.build = build
    }

    /// Runs the search: trains trials until `maxTrials` (or the grid) is done. `callbacks` makes
    /// fresh callbacks for each execution (early stopping, say). `verbose` 1 prints each trial's
    /// configuration and result, as Keras Tuner does; 0 prints nothing. With `vectorizeExecutions`,
    /// a trial's executions train together as the trials of one program (`Sequential.fitTogether`:
    /// each still its own run with the result it has alone); off by default, since on this CPU
    /// it measured no faster (docs/ARCHITECTURE.md, "Vectorized trials"). `vectorizeTrials` groups
    /// claimed trials the same way (`temper sweep --vectorize`): those whose models compile alike
    /// train as one program, with their executions; results are the same whatever the grouping.
    public func search(x: Matrix, y: Matrix, epochs: Int = 1, batchSize: Int = 32, validationData: (x: Matrix, y: Matrix)? = nil,
                       validationSplit: Double = 0, callbacks: @escaping @Sendable () -> [Callback] = { [] }, verbose: Int = 1,
                       vectorizeExecutions: Bool = false, vectorizeTrials: TrialGrouping = .apart) throws {
        let space = try discoverSpace()
        inputColumns = x.columns
        let plan = try SweepPlan(project: projectName, name: projectName, method: method, space: space, objective: objective, maxTrials: maxTrials,
                                 seed: seed, executionsPerTrial: executionsPerTrial, skipsDuplicates: true, spec: StoredObjective.tunerSpec(objective),
                                 initialPoints: initialPoints, lag: lag, earlyTermination: earlyTermination, hyperband: hyperband)
        let tracker = try Tracker(dir: directory, systemMetricsInterval: nil)
        let (sweep, resumed) = try Sweep.open(plan, in: tracker.store, resume: !overwrite)
        self.sweep = sweep
        let fit: @Sendable (Sequential, [Callback]) throws -> History = { model, extra in
            try model.fit(x: x, y: y, batchSize: batchSize, epochs: epochs, validationData: validationData, validationSplit: validationSplit,
                          callbacks: callbacks() + extra, verbose: 0, evaluateTrainingSet: false)
        }
        var executor = ModelTrialExecutor(build: build, fit: fit, weightsDirectory: weightsDirectory)
        executor.inputShape = [x.columns]
        executor.groupsExecutions = vectorizeExecutions
        if vectorizeExecutions || vectorizeTrials != .apart {
            executor.fitTogether = { models, extras in
                try Sequential.fitTogether(models, x: x, y: y, batchSize: batchSize, epochs: epochs, validationData: validationData,
                                           validationSplit: validationSplit, callbacks: extras.map { callbacks() + $0 }, evaluateTrainingSet: false)
            }
        }
        executor.fitEpochs = { model, extra, epochs in
            try model.fit(x: x, y: y, batchSize: batchSize, epochs: epochs, validationData: validationData, validationSplit: validationSplit,
                          callbacks: callbacks() + extra, verbose: 0, evaluateTrainingSet: false)
        }
        let runner = try SweepRunner(sweep: sweep, tracker: tracker, executor: executor, workers: parallel)
        runner.grouping = vectorizeTrials
        let printer = verbose > 0 ? TrialPrinter(objective: objective) : nil
        if let printer, resumed { printer.resumed(try sweep.trials()) }
        if let printer {
            runner.onTrialStart = { trial in printer.started(trial) }
            runner.onTrialEnd = { trial in printer.ended(trial, sweep: sweep) }
        }
        let threads = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(threads) }
        try runner.run()
        try tracker.waitUntilWritten()
    }

    /// Where trials' best weights are kept.
    var weightsDirectory: String { (directory as NSString).appendingPathComponent(projectName) }

    /// Builds the model once with every default, to learn the search space.
    func discoverSpace() throws -> SearchSpace {
        if let space { return space }
        let hp = HyperParameters()
        _ = try build(hp)
        space = hp.space
        return hp.space
    }

    /// Keras Tuner's `search_space_summary`: every hyperparameter with its definition.
    @discardableResult
    public func searchSpaceSummary(print printing: Bool = true) throws -> String {
        let space = try discoverSpace()
        var lines = ["Search space summary", "Default search space size: \(space.parameters.count)"]
        for parameter in space.parameters {
            lines.append("\(parameter.name) (\(String(describing: type(of: parameter.distribution)).replacingOccurrences(of: "Hyperparameter", with: "")))")
            lines.append("  \(parameter.distribution)" + (parameter.conditions.isEmpty ? "" : ", active if " + parameter.conditions.map(\.description).joined(separator: " and ")))
        }
        let text = lines.joined(separator: "\n")
        if printing { print(text) }
        return text
    }

    /// Keras Tuner's `results_summary`: the best `count` trials with their hyperparameters and scores.
    @discardableResult
    public func resultsSummary(_ count: Int = 10, print printing: Bool = true) throws -> String {
        let sweep = try requireSweep()
        var lines = ["Results summary", "Results in \(sweep.store.path) (project \(projectName), sweep \(sweep.info.id))",
                     "Showing \(count) best trials", objective.description]
        let all = try sweep.trials()
        let best = try sweep.bestTrials(count)
        let rest = all.filter { trial in !best.contains { $0.number == trial.number } }.prefix(Swift.max(0, count - best.count))
        for trial in best + rest {
            lines.append("")
            lines.append("Trial \(trial.number) summary")
            lines.append("Hyperparameters:")
            let values = sweep.flat(trial.config)
            for parameter in sweep.plan.space.parameters { if let value = values[parameter.name] { lines.append("\(parameter.name): \(value)") } }
            if let score = trial.score { lines.append("Score: \(score)") }
            if trial.state != .finished { lines.append("State: \(trial.state.rawValue)" + (trial.error.map { " (\($0))" } ?? "")) }
        }
        let text = lines.joined(separator: "\n")
        if printing { print(text) }
        return text
    }

    /// The hyperparameters of the best `count` trials, best first.
    public func bestHyperparameters(_ count: Int = 1) throws -> [HyperParameters] {
        let sweep = try requireSweep()
        return try sweep.bestTrials(count).map { HyperParameters(space: sweep.plan.space, values: sweep.flat($0.config)) }
    }

    /// The models of the best `count` trials, best first: built from each trial's configuration
    /// with the weights of the best epoch of its best execution.
    public func bestModels(_ count: Int = 1) throws -> [Sequential] {
        let sweep = try requireSweep()
        return try sweep.bestTrials(count).map { trial in
            let hp = HyperParameters(space: sweep.plan.space, assigned: sweep.flat(trial.config))
            let model = try ModelSeeds.$current.withValue(SweepSeeds.execution(trial.seed, 0)) { try build(hp) }
            if model.inputShape == nil, let inputColumns { try model.build(inputShape: [inputColumns]) }
            let path = (weightsDirectory as NSString).appendingPathComponent("trial-\(trial.number).safetensors")
            guard FileManager.default.fileExists(atPath: path) else {
                throw TuningError.invalidSearch("trial \(trial.number)'s weights are not in \(path); search again (with the same arguments it resumes) to save them")
            }
            try model.loadWeights(from: path)
            return model
        }
    }

    private func requireSweep() throws -> Sweep {
        guard let sweep else { throw TuningError.invalidSearch("no search yet: call search(x:y:…) first") }
        return sweep
    }
}

/// Keras Tuner's random search (`max_trials` 10 by default): every trial samples each
/// hyperparameter; a configuration already tried is drawn again (up to 20 times in a row).
public final class RandomSearch: Tuner {
    public init(objective: Objective, maxTrials: Int = 10, executionsPerTrial: Int = 1, seed: UInt64 = 1, directory: String = "temper-runs",
                projectName: String = "untitled_project", overwrite: Bool = false, parallel: Int = 1,
                _ build: @escaping @Sendable (HyperParameters) throws -> Sequential) throws {
        try super.init(method: .random, objective: objective, maxTrials: maxTrials, executionsPerTrial: executionsPerTrial, seed: seed,
                       directory: directory, projectName: projectName, overwrite: overwrite, parallel: parallel, build: build)
    }

    /// With the objective given by name (minimized for losses and errors, maximized for accuracies).
    public convenience init(objective: String, maxTrials: Int = 10, executionsPerTrial: Int = 1, seed: UInt64 = 1, directory: String = "temper-runs",
                            projectName: String = "untitled_project", overwrite: Bool = false, parallel: Int = 1,
                            _ build: @escaping @Sendable (HyperParameters) throws -> Sequential) throws {
        try self.init(objective: try Objective.inferred(objective), maxTrials: maxTrials, executionsPerTrial: executionsPerTrial, seed: seed,
                      directory: directory, projectName: projectName, overwrite: overwrite, parallel: parallel, build)
    }
}

/// Keras Tuner's Bayesian optimization (`max_trials` 10 by default) with a Gaussian process:
/// `numInitialPoints` random trials (nil: 3 per hyperparameter that varies, Keras Tuner's default), then each
/// trial maximizes the log expected improvement of a GP fitted to the scores so far (see
/// `BayesianSampler`; Keras Tuner uses an upper confidence bound with `alpha`/`beta` instead).
/// `lag` is the lag rule: trial `i` learns from trials before `i − lag`, which makes the trials the
/// same at any `parallel`; `parallel` trials run at once without waiting when `lag ≥ parallel − 1`.
public final class BayesianOptimization: Tuner {
    public init(objective: Objective, maxTrials: Int = 10, numInitialPoints: Int? = nil, lag: Int = 1, executionsPerTrial: Int = 1,
                seed: UInt64 = 1, directory: String = "temper-runs", projectName: String = "untitled_project", overwrite: Bool = false,
                parallel: Int = 1, _ build: @escaping @Sendable (HyperParameters) throws -> Sequential) throws {
        if let numInitialPoints, numInitialPoints < 0 { throw TuningError.invalidSearch("numInitialPoints must be at least 0, not \(numInitialPoints)") }
        guard lag >= 0 else { throw TuningError.invalidSearch("lag must be at least 0, not \(lag)") }
        try super.init(method: .bayes, objective: objective, maxTrials: maxTrials, executionsPerTrial: executionsPerTrial, seed: seed,
                       directory: directory, projectName: projectName, overwrite: overwrite, parallel: parallel, build: build)
        initialPoints = numInitialPoints
        self.lag = lag
    }

    /// With the objective given by name (minimized for losses and errors, maximized for accuracies).
    public convenience init(objective: String, maxTrials: Int = 10, numInitialPoints: Int? = nil, lag: Int = 1, executionsPerTrial: Int = 1,
                            seed: UInt64 = 1, directory: String = "temper-runs", projectName: String = "untitled_project", overwrite: Bool = false,
                            parallel: Int = 1, _ build: @escaping @Sendable (HyperParameters) throws -> Sequential) throws {
        try self.init(objective: try Objective.inferred(objective), maxTrials: maxTrials, numInitialPoints: numInitialPoints, lag: lag,
                      executionsPerTrial: executionsPerTrial, seed: seed, directory: directory, projectName: projectName, overwrite: overwrite,
                      parallel: parallel, build)
    }
}

/// Keras Tuner's Hyperband (Li et al., JMLR 2018): brackets of successive halving over
/// `maxEpochs` with reduction `factor`, `hyperbandIterations` times; a promoted trial resumes from
/// its parent's saved best-epoch weights and trains from the parent's epochs to its own (see
/// `HyperbandSampler`). The `epochs` given to `search` are ignored: each trial's come from the
/// schedule. Trials are the same at any `parallel` (a round waits for the one before it).
public final class Hyperband: Tuner {
    public init(objective: Objective, maxEpochs: Int, factor: Int = 3, hyperbandIterations: Int = 1, executionsPerTrial: Int = 1,
                seed: UInt64 = 1, directory: String = "temper-runs", projectName: String = "untitled_project", overwrite: Bool = false,
                parallel: Int = 1, _ build: @escaping @Sendable (HyperParameters) throws -> Sequential) throws {
        let sampler = try HyperbandSampler(maxEpochs: maxEpochs, factor: factor, iterations: hyperbandIterations)
        try super.init(method: .hyperband, objective: objective, maxTrials: nil, executionsPerTrial: executionsPerTrial, seed: seed,
                       directory: directory, projectName: projectName, overwrite: overwrite, parallel: parallel, build: build)
        hyperband = sampler
    }
}

/// Keras Tuner's grid search: every combination of the hyperparameters' grid values (each one's
/// default first), in a stable order, the last hyperparameter changing fastest; `maxTrials` caps it.
public final class GridSearch: Tuner {
    public init(objective: Objective, maxTrials: Int? = nil, executionsPerTrial: Int = 1, seed: UInt64 = 1, directory: String = "temper-runs",
                projectName: String = "untitled_project", overwrite: Bool = false, parallel: Int = 1,
                _ build: @escaping @Sendable (HyperParameters) throws -> Sequential) throws {
        try super.init(method: .grid, objective: objective, maxTrials: maxTrials, executionsPerTrial: executionsPerTrial, seed: seed,
                       directory: directory, projectName: projectName, overwrite: overwrite, parallel: parallel, build: build)
    }

    public convenience init(objective: String, maxTrials: Int? = nil, executionsPerTrial: Int = 1, seed: UInt64 = 1, directory: String = "temper-runs",
                            projectName: String = "untitled_project", overwrite: Bool = false, parallel: Int = 1,
                            _ build: @escaping @Sendable (HyperParameters) throws -> Sequential) throws {
        try self.init(objective: try Objective.inferred(objective), maxTrials: maxTrials, executionsPerTrial: executionsPerTrial, seed: seed,
                      directory: directory, projectName: projectName, overwrite: overwrite, parallel: parallel, build)
    }

    /// How many trials the grid has (before `maxTrials`).
    public func gridSize() throws -> Int { try discoverSpace().gridCount() }
}
