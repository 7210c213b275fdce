import ArgumentParser
import Lab
import Techniques
import Foundation
import Runtime
import Tracking
import Tuning

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a W&B sweep file (grid or random search): temper sweep sweep.yaml [--parallel N] [--seed S].",
        subcommands: [SweepStartCommand.self, SweepResumeCommand.self, SweepShowCommand.self, SweepImportanceCommand.self],
        defaultSubcommand: SweepStartCommand.self
    )
}

/// Options of every command that runs trials.
struct SweepRunOptions: ParsableArguments {
    @Option(help: "Trials trained at once (threads of this process; each trial's program runs as its own process when it is not a Temper spec).")
    var parallel: Int = 1
    @Option(name: [.customLong("store"), .customLong("dir")], help: "The run store: a directory, or a postgres://user:password@host:port/database URL (default: $TEMPER_STORE, else $TEMPER_DIR, else ./temper-runs).") var dir: String?
    @Flag(help: "Print nothing while the sweep runs (errors and the final summary only).") var quiet = false
    @Option(help: "Seconds without a heartbeat after which another agent's trial counts as crashed and is run again (same configuration and seed); heartbeats go out every sixth of it. Give every agent of a sweep the same value.")
    var staleAfter: Double = 60
    @Option(help: ArgumentHelp("Trials of a Temper spec trained together as ONE compiled program (vectorized trials): up to K at a time, or auto to choose K by measuring seconds per trial (default 1: apart). Only trials that compile alike (same layers, widths, optimizer constants) and read the same data with the same fit options group; each trial's result is bit for bit the one it has alone.", valueName: "K|auto"))
    var vectorize: String = "1"

    /// How trials are grouped (`--vectorize`).
    var grouping: TrialGrouping {
        get throws {
            do { return try TrialGrouping(parsing: vectorize) } catch TuningError.invalidSearch(let message) { throw ValidationError(message) }
        }
    }

    func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1, not \(parallel)") }
        _ = try grouping
        guard staleAfter.isFinite, staleAfter >= 1, staleAfter <= 86_400 else {
            throw ValidationError("--stale-after must be from 1 to 86400 seconds, not \(staleAfter)")
        }
    }

    /// Refuses `--vectorize` for a sweep whose trials run as commands (before anything is written).
    func checkGrouping(inProcess: Bool) throws {
        guard try grouping != .apart, !inProcess else { return }
        throw ValidationError("--vectorize \(vectorize): this sweep's trials run as commands, each its own process, so they cannot train as one program; --vectorize applies to sweeps whose program is a Temper train spec (drop the option)")
    }

    /// The tracker the sweep's runs and claims go through.
    /// `mustExist`: joining a sweep, the store must hold one (nothing is created in an empty database or folder).
    func tracker(mustExist: Bool = false) throws -> Tracker {
        Tracker(store: try RunStore(location: dir, staleAfter: staleAfter, mustExist: mustExist), heartbeatInterval: min(5, staleAfter / 6),
                systemMetricsInterval: nil)
    }
}

struct SweepStartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start (or, with the same file and seed, resume) a sweep.",
        discussion: """
        The file is W&B's sweep configuration: method (grid, random), metric (name, goal, target), parameters, run_cap, \
        program, command with W&B's macros; Temper adds project, seed and executions. When the program is a Temper train \
        spec, trials train in this process; otherwise each runs the command as a subprocess, which reports metrics through \
        Tracker or as JSON lines on its standard output. Running the same file with the same seed again resumes the sweep: \
        finished trials are kept, interrupted ones run again with the same configuration and seed (--new starts another).
        """
    )

    @Argument(help: "The sweep file (YAML).") var file: String
    @Option(help: "The sweep's seed (default: the file's seed:, else 1): trials' configurations and training seeds derive from it.")
    var seed: UInt64?
    @Flag(help: "Start a new sweep even when one of this file and seed exists.") var new = false
    @Flag(help: "Create the sweep and print its id, training nothing: agents (`temper agent ID`, on any machine that reaches the store) run its trials, as after W&B's `wandb sweep`.")
    var createOnly = false
    @OptionGroup var options: SweepRunOptions

    func run() throws {
        let spec = try SweepSpec.load(file)
        for warning in spec.warnings { FileHandle.standardError.write(Data("temper: warning: \(warning)\n".utf8)) }
        let trainSpec = try spec.inProcessTrainSpec()
        try options.checkGrouping(inProcess: trainSpec != nil)
        if let trainSpec {
            // A parameter the spec's config lacks changes nothing the spec reads (a typo?).
            let keys = Set(trainSpec.config.flattened.map(\.key))
            for parameter in spec.space.parameters where !keys.contains(parameter.name) {
                FileHandle.standardError.write(Data("temper: warning: \(parameter.name) is not a config key of \(trainSpec.source); the trials record it, but the spec reads it only where it names it\(Suggestion.closest(parameter.name, in: Array(keys)).map { " (did you mean \($0)?)" } ?? "")\n".utf8))
            }
        }
        if trainSpec == nil, let path = spec.programPath, spec.command.contains("${program}"), !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(file):\(spec.programLine ?? 0): program: \(path) does not exist (a program's path is relative to the sweep file)")
        }
        let defaultProject = trainSpec?.project ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let plan = try spec.plan(seed: seed, defaultProject: defaultProject)
        let tracker = try options.tracker()
        let (sweep, resumed) = try Sweep.open(plan, in: tracker.store, resume: !new)
        if createOnly {
            print(sweep.info.id)
            FileHandle.standardError.write(Data("temper: \(resumed ? "found" : "created") sweep \(sweep.info.id) (\(sweep.info.name)) in \(sweep.store.path); run its trials with: temper agent \(sweep.info.id)\(options.dir.map { " --store \(StoreLocation.redactingPasswords($0))" } ?? "")\n".utf8))
            return
        }
        let executor: TrialExecutor = try trainSpec.map { try SpecTrialExecutor(spec: $0) } ?? CommandTrialExecutor(spec: spec)
        try SweepSession(sweep: sweep, tracker: tracker, executor: executor, options: options).run(resumed: resumed, inProcess: trainSpec != nil)
    }
}

struct SweepResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Go on with a stopped or interrupted sweep: interrupted trials run again, finished ones are kept.")

    @Argument(help: "The sweep id (or a unique prefix, or its name).") var id: String
    @OptionGroup var options: SweepRunOptions

    func run() throws { try SweepSession.join(id, options: options, resuming: true) }
}

struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Join a running sweep from another process: take its trials until none is left.",
        discussion: "Trials are claimed in a transaction, so agents never take the same one; a trial whose process died is taken again with the same configuration and seed."
    )

    @Argument(help: "The sweep id (or a unique prefix, or its name).") var id: String
    @OptionGroup var options: SweepRunOptions

    func run() throws { try SweepSession.join(id, options: options, resuming: false) }
}

/// A sweep running in this process: its workers, the live view, Ctrl-C.
final class SweepSession: @unchecked Sendable {
    let sweep: Sweep
    let tracker: Tracker
    let runner: SweepRunner
    let options: SweepRunOptions
    private let view: LiveView

    init(sweep: Sweep, tracker: Tracker, executor: TrialExecutor, options: SweepRunOptions) throws {
        self.sweep = sweep
        self.tracker = tracker
        self.options = options
        runner = try SweepRunner(sweep: sweep, tracker: tracker, executor: executor, workers: options.parallel)
        runner.grouping = try options.grouping
        runner.heartbeatInterval = min(5, options.staleAfter / 6)
        view = LiveView(sweep: sweep, quiet: options.quiet)
    }

    /// Joins the sweep `id` of the store (resume, agent).
    static func join(_ id: String, options: SweepRunOptions, resuming: Bool) throws {
        let tracker = try options.tracker(mustExist: true)
        let info = try tracker.store.sweep(id)
        if let command = labCommand(ofSweepSpec: info.spec) ?? techniqueCommand(ofSweepSpec: info.spec) {
            throw ValidationError("sweep \(info.id) was made by `\(command.split(separator: " ").prefix(2).joined(separator: " "))`; run `\(command)` again with the same store to resume it")
        }
        let spec = try SweepSpec.stored(info.spec)
        let trainSpec = try spec.inProcessTrainSpec()
        try options.checkGrouping(inProcess: trainSpec != nil)
        var plan = try spec.plan(seed: info.seed, defaultProject: info.project)
        plan.project = info.project
        plan.name = info.name
        guard plan.specHash == info.specHash else {
            throw ValidationError("sweep \(info.id) was made from another version of its file; start a new sweep from the file instead")
        }
        let open = try tracker.store.trials(info.id).contains { [.running, .pending, .crashed].contains($0.state) }
        if resuming && info.state == .finished && !open {
            print("sweep \(info.id) (\(info.name)) is finished; `temper sweep show \(info.id)` shows its trials")
            return
        }
        let (sweep, _) = (Sweep(info: info, plan: plan, store: tracker.store), false)
        if info.state != .running { try tracker.store.setSweepState(info.id, .running) }
        let executor: TrialExecutor = try trainSpec.map { try SpecTrialExecutor(spec: $0) } ?? CommandTrialExecutor(spec: spec)
        try SweepSession(sweep: sweep, tracker: tracker, executor: executor, options: options).run(resumed: true, inProcess: trainSpec != nil)
    }

    func run(resumed: Bool, inProcess: Bool) throws {
        let plan = sweep.plan
        let capacity = try plan.capacity()
        let done = try sweep.trials().filter { $0.state != .running && $0.state != .crashed }.count
        var header = "sweep \(sweep.info.id) (\(sweep.info.name), project \(sweep.info.project)) in \(sweep.store.path): "
        switch plan.method {
        case .grid:
            let size = try plan.space.gridCount()
            header += "grid search, \(capacity.map { "\($0) trial\($0 == 1 ? "" : "s")" } ?? "? trials")" + (capacity.map { $0 < size } == true ? " (run_cap; the grid has \(size))" : "")
        case .random: header += "random search, " + (plan.maxTrials.map { "\($0) trials (run_cap)" } ?? "until stopped (no run_cap)")
        case .bayes:
            let initial = plan.initialPoints ?? BayesianSampler.defaultInitialPoints(plan.space)
            header += "Bayesian optimization (Gaussian process; \(initial) random trials first, lag \(plan.lag)), "
                + (plan.maxTrials.map { "\($0) trials (run_cap)" } ?? "until stopped (no run_cap)")
        case .hyperband:
            header += "Hyperband, \(capacity.map(String.init) ?? "?") trials"
        case .tpe:
            header += "TPE (\(plan.initialPoints ?? 10) random trials first, lag \(plan.lag)), "
                + (plan.maxTrials.map { "\($0) trials (run_cap)" } ?? "until stopped (no run_cap)")
        }
        header += ", \(plan.objective.direction.rawValue) \(plan.objective.name)" + (plan.objective.target.map { " (target \($0))" } ?? "")
        if let termination = plan.earlyTermination {
            header += ", \(termination.policy.summary) (lag \(plan.lag))"
        }
        header += inProcess ? ", trials trained in this process" : ", trials run as commands"
        header += options.parallel > 1 ? ", \(options.parallel) at once" : ""
        switch runner.grouping {
        case .apart: break
        case .upTo(let k): header += ", up to \(k) trials together as one program"
        case .automatic: header += ", trials together as one program (group size chosen by measurement)"
        }
        if resumed && done > 0 { header += "; resuming: \(done) trial\(done == 1 ? " done is" : "s done are") kept" }
        print(TerminalText.visible(header))
        fflush(nil)
        runner.onProgress = { [view] progress in view.progress(progress) }
        runner.onTrialEnd = { [view] trial in view.ended(trial) }
        let threads = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(threads) }
        let interrupts = Interrupts { [runner, view] in
            view.note("stopping: running trials end at their next epoch and run again on resume (Ctrl-C again to quit at once)")
            runner.stop()
        }
        defer { interrupts.restore() }
        try runner.run()
        try tracker.waitUntilWritten()
        view.finish()
        try printSummary(stopped: runner.isStopped)
        if runner.isStopped, let code = Interrupts.exitCode { throw code }
    }

    private func printSummary(stopped: Bool) throws {
        let trials = try sweep.trials()
        let counts = Dictionary(grouping: trials, by: \.state).mapValues(\.count)
        let states = TrialState.allCases.compactMap { state in counts[state].map { "\($0) \(state.rawValue)" } }.joined(separator: ", ")
        print("\n\(trials.count) trial\(trials.count == 1 ? "" : "s"): \(states.isEmpty ? "none" : states)")
        if let best = try sweep.bestTrials(1).first, let score = best.score {
            print(TerminalText.visible("best \(sweep.plan.objective.name) \(LiveView.number(score)) at trial \(best.number): ") + LiveView.describe(best.config))
            if let target = sweep.plan.objective.target, sweep.plan.objective.reachesTarget(score) {
                print("the target \(sweep.plan.objective.name) \(LiveView.number(target)) was reached, so no further trial was started")
            }
        }
        if let line = SweepShowCommand.importanceLine(trials) { print(TerminalText.visible(line)) }
        if runner.grouping == .automatic {
            let sizes = runner.groupSizes.sorted()
            print("--vectorize auto: \(sizes.map(String.init).joined(separator: ", ")) trial\(sizes == [1] ? "" : "s") per group (by measurement\(sizes.count > 1 ? ", one size per worker" : ""))")
        }
        if stopped {
            print("stopped; go on with: temper sweep resume \(sweep.info.id)" + (options.dir.map { " --store \(StoreLocation.redactingPasswords($0))" } ?? ""))
        }
        print("see the trials with: temper sweep show \(sweep.info.id)" + (options.dir.map { " --store \(StoreLocation.redactingPasswords($0))" } ?? ""))
    }
}

/// Ctrl-C while a sweep runs: the first stops it cleanly, the second exits at once. A handler
/// (not an ignored signal, which child processes would inherit) counts them; a thread acts.
final class Interrupts: @unchecked Sendable {
    nonisolated(unsafe) static var count: Int32 = 0
    /// The first signal received (0 if none).
    nonisolated(unsafe) static var first: Int32 = 0
    private let watcher: Thread

    /// The exit status of a process stopped by the first signal: 128 + its number, as a shell
    /// reports it (130 for Ctrl-C), so that `temper sweep … && next` does not go on.
    static var exitCode: ExitCode? { first == 0 ? nil : ExitCode(128 + first) }

    init(_ onFirst: @escaping @Sendable () -> Void) {
        Interrupts.count = 0
        Interrupts.first = 0
        // SIGTERM (a scheduler or `kill`) stops a sweep as SIGINT (Ctrl-C) does; both are
        // unblocked, as a parent may have started this process with them blocked.
        var interrupt = sigset_t()
        sigemptyset(&interrupt)
        for number in [SIGINT, SIGTERM] {
            sigaddset(&interrupt, number)
            signal(number) { received in
                if Interrupts.first == 0 { Interrupts.first = received }
                Interrupts.count += 1
                if Interrupts.count > 1 { _exit(130) }
            }
        }
        pthread_sigmask(SIG_UNBLOCK, &interrupt, nil)
        watcher = Thread {
            while !Thread.current.isCancelled {
                if Interrupts.count > 0 {
                    onFirst()
                    return
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        watcher.start()
    }

    func restore() {
        watcher.cancel()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
