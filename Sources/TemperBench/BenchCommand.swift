import AllocationCounting
import ArgumentParser
import Benchmarks
import Foundation
import ProcessSupport
import TrackingPostgres
import Runtime
import TerminalOutput
import Workloads

/// `temper-bench` (also reached as `temper bench`): figures and ratios to the peers. A program of
/// its own because counting allocations replaces `malloc` for the whole process.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "temper-bench",
        abstract: "Measure training-step speed, allocations and memory (figures, not pass/fail).",
        discussion: """
        Workloads, built with the graph API: (a) casestudy — the deck's 2-50-1 step with batch norm after \
        the ReLU, batch 32, BCE, SGD momentum; (b) mlp — 784-1024-1024-10 with batch norm + ReLU, batch 256, \
        softmax cross-entropy, SGD momentum; (c) casestudy-variant — a whole case-study run (variant after, 100 \
        epochs with evaluation on train and test after each, as `temper casestudy batchnorm` trains it); tuner — the \
        deck's Keras Tuner example end to end (RandomSearch, 5 trials × 3 executions, --tuner-epochs epochs, Adam, \
        batch 32; with --python, Keras Tuner's run of the same search, Benchmarks/Peers/kt_seed.py); sweep — a sweep \
        of 100 one-epoch trials of the case-study spec, and the share of its time outside training; tracking — \
        the whole case study (6 variants × 5 seeds) with and without a TrackingCallback per run logging metrics and \
        weight and gradient histograms every epoch, in alternating blocks. Also \
        OpenBLAS sgemm GFLOPS for the GEMM shapes of (a) and (b). With \
        --python, runs the PyTorch peers (Benchmarks/Peers) in the same run and prints the ratios.
        """
    )

    /// What to measure.
    enum Workload: String, CaseIterable, ExpressibleByArgument {
        case casestudy, mlp, casestudyVariant = "casestudy-variant", trials, tracking, tuner, sweep, hpo, dashboard, agents, all
    }

    @Option(help: "casestudy, mlp, casestudy-variant, tracking, tuner, sweep, hpo or all (all but tuner, sweep and hpo).")
    var workload: Workload = .all

    @Option(help: "Epochs per execution in the tuner workload (the deck's search uses 500).")
    var tunerEpochs: Int = 50

    @Option(help: "Trials trained at once in the tuner workload.")
    var tunerParallel: Int = 2

    @Option(help: "Trials trained together in the trials workload.")
    var vectorizedTrials: Int = 16

    @Option(help: "Threads for OpenBLAS (and for the PyTorch peers).")
    var threads: Int = 1

    @Option(help: "Steps per timed repetition (default: 2000 for casestudy, 20 for mlp).")
    var steps: Int?

    @Option(help: "A Python with torch, numpy and scikit-learn, to run the peer scripts.")
    var python: String?

    @Option(help: "Where the dashboard workload keeps its store of 10,000 runs (built on first use; default: a folder in the temporary directory).")
    var dashboardStore: String?

    @Option(help: "The folder with the peer scripts.")
    var peers: String = "Benchmarks/Peers"

    @Option(help: "The PostgreSQL store the agents workload uses (default: a throwaway server started for the bench, which needs Debian's postgresql).")
    var agentsStore: String?

    @Flag(help: "Print one JSON object per workload instead of a table.")
    var json = false

    struct Record: Codable {
        var name: String
        var microsecondsPerStep: Double?
        var gflops: Double?
        var effectiveGflops: Double?
        var allocationsPerStep: Double?
        var arenaBytes: Int?
        var unplannedBytes: Int?
        var kernels: Int?
        var kernelsUnoptimized: Int?
        var sgemmGflops: Double?
        var fractionOfSgemm: Double?
        var peerMicrosecondsPerStep: Double?
        var speedupOverPeer: Double?
        /// For whole-run workloads: milliseconds per run (ours and the peer's).
        var millisecondsPerRun: Double?
        var peerMillisecondsPerRun: Double?
        /// For the logging workload: the run without a tracker, and the cost of logging.
        var millisecondsWithoutLogging: Double?
        var loggingOverheadPercent: Double?
        /// CPU milliseconds per run over all threads, without and with logging.
        var cpuMillisecondsWithoutLogging: Double?
        var cpuMillisecondsWithLogging: Double?
        var cpuLoggingOverheadPercent: Double?
        var trainingThreadLoggingOverheadPercent: Double?
        /// For the logging workload: runs in a block (the case study's variants × seeds).
        var runsPerBlock: Int?
        var threads: Int
        var blasCore: String
    }

    static func main() {
        // OpenBLAS on a CPU newer than itself falls back to generic kernels (4× slower GEMM).
        BLAS.reexecuteWithRecommendedCoreType()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    func run() throws {
        PostgresEngine.register()
        guard (1...BLAS.maximumThreads).contains(threads) else { throw ValidationError("--threads must be from 1 to \(BLAS.maximumThreads), not \(threads)") }
        BLAS.setThreads(threads)
        var records: [Record] = []
        let selected: [Workload] = workload == .all ? [.casestudy, .mlp, .casestudyVariant, .trials, .tracking] : [workload]
        for chosen in selected {
            switch chosen {
            case .tuner: try runTuner()
            case .sweep: try runSweep()
            case .hpo: try runHPO()
            case .dashboard: try runDashboard()
            case .agents: try runAgents()
            case .tracking: records.append(try trackingRecord())
            case .trials: try runTrials()
            case .casestudyVariant: records.append(try variantRecord())
            case .casestudy: records.append(try stepRecord(try TrainingStepGraphs.caseStudy(), name: chosen, defaultSteps: 2000))
            case .mlp: records.append(try stepRecord(try TrainingStepGraphs.mlp(), name: chosen, defaultSteps: 20))
            case .all: break
            }
        }
        try report(records)
    }

    /// A sweep of one-epoch trials: what it spends outside training.
    private func runSweep() throws {
        let figures = try SweepBenchmark.run(spec: FileManager.default.currentDirectoryPath + "/Examples/train/casestudy.yaml")
        print("sweep: \(figures.trials) trials of \(figures.epochs) epoch (the case-study spec, in-process, one at a time) in \(String(format: "%.1f", figures.seconds * 1000)) ms: "
              + "\(String(format: "%.1f", figures.sweepOverheadPercent))% outside the trials (claiming, sampling, recording results); "
              + "building and training the models \(String(format: "%.1f", figures.trainingSeconds * 1000)) ms, the rest of the trials (each run's registration and metric logging, reading the spec) \(String(format: "%.1f", (figures.trialSeconds - figures.trainingSeconds) * 1000)) ms: "
              + "\(String(format: "%.1f", figures.overheadPercent))% of the sweep outside training")
    }

    /// Trials of the case study one after another and together (vectorized trials).
    private func runTrials() throws {
        guard (1...256).contains(vectorizedTrials) else { throw ValidationError("--vectorized-trials must be from 1 to 256, not \(vectorizedTrials)") }
        let f = try TrialsBenchmark.run(trials: vectorizedTrials)
        print("trials: \(f.trials) case-study models (variant after, seeds 1–\(f.trials), learning rates 0.001–0.3), \(f.epochs) epochs each with evaluation, "
              + "built, compiled and trained: one after another \(String(format: "%.1f", f.serialMilliseconds)) ms, together (Sequential.fitTogether, one program) "
              + "\(String(format: "%.1f", f.togetherMilliseconds)) ms: \(String(format: "%.2f", f.speedup))× faster; every trial's result the same both ways: \(f.identical ? "yes, bit for bit" : "NO")")
    }

    /// The whole case study with and without logging.
    private func trackingRecord() throws -> Record {
        let figures = try CaseStudyBenchmark.loggingOverhead()
        var record = Record(name: "tracking-overhead-casestudy", threads: threads, blasCore: BLAS.coreName)
        record.runsPerBlock = figures.runsPerBlock
        record.millisecondsPerRun = figures.millisecondsWith
        record.loggingOverheadPercent = figures.overheadPercent
        record.millisecondsWithoutLogging = figures.millisecondsWithout
        record.cpuMillisecondsWithoutLogging = figures.cpuMillisecondsWithout
        record.cpuMillisecondsWithLogging = figures.cpuMillisecondsWith
        record.cpuLoggingOverheadPercent = figures.cpuOverheadPercent
        record.trainingThreadLoggingOverheadPercent = figures.trainingThreadOverheadPercent
        return record
    }

    /// One whole case-study run, and (with --python) PyTorch's.
    private func variantRecord() throws -> Record {
        let figures = try CaseStudyBenchmark.run(variant: .after, epochs: 100, repetitions: 5)
        var record = Record(name: "casestudy-variant-after-100-epochs", microsecondsPerStep: figures.microsecondsPerStep,
                            threads: threads, blasCore: BLAS.coreName)
        record.millisecondsPerRun = figures.millisecondsPerRun
        if let python {
            let output = try PeerRun.run(python: python, script: "\(peers)/torch_circles.py", arguments: ["after", String(threads)])
            guard let ms = PeerRun.number(after: "100 epochs", in: output) else { throw PeerRun.Failure.failed("unexpected output: \(output)") }
            record.peerMillisecondsPerRun = ms
            record.speedupOverPeer = ms / figures.millisecondsPerRun
        }
        return record
    }

    /// A training step's time, GEMM rate, allocations and memory, and (with --python) PyTorch's.
    private func stepRecord(_ graph: TrainingStepGraph, name: Workload, defaultSteps: Int) throws -> Record {
        let figures = try StepBenchmark.run(graph, steps: steps ?? defaultSteps, repetitions: 5, countAllocations: AllocationCounter.count)
        let sgemm = GemmBenchmark.sgemmGFLOPS(graph.gemms, iterations: name == .mlp ? 10 : 2000)
        var record = Record(name: figures.name, microsecondsPerStep: figures.microsecondsPerStep, gflops: figures.gflops,
                            effectiveGflops: figures.effectiveGflops, allocationsPerStep: figures.allocationsPerStep,
                            arenaBytes: figures.arenaBytes, unplannedBytes: figures.unplannedBytes, kernels: figures.kernels,
                            kernelsUnoptimized: figures.kernelsUnoptimized, sgemmGflops: sgemm, fractionOfSgemm: figures.gflops / sgemm,
                            threads: threads, blasCore: BLAS.coreName)
        if let python {
            let peer = try peerStep(name, python: python)
            record.peerMicrosecondsPerStep = peer
            record.speedupOverPeer = peer / figures.microsecondsPerStep
        }
        return record
    }

    /// Prints the records: JSON lines, or a table and a paragraph per whole-run workload.
    private func report(_ records: [Record]) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for record in records { print(String(decoding: try encoder.encode(record), as: UTF8.self)) }
            return
        }
        var table = TerminalTable(["workload", "µs/step", "GFLOPS", "sgemm GFLOPS", "of sgemm", "allocs/step", "arena bytes", "one buffer/node", "kernels", "unfused", "peer µs/step", "speed-up"])
        for r in records where r.millisecondsPerRun == nil {
            table.append([r.name, format(r.microsecondsPerStep, "%.1f"), format(r.gflops, "%.1f"), format(r.sgemmGflops, "%.1f"),
                          format(r.fractionOfSgemm.map { $0 * 100 }, "%.0f%%"), format(r.allocationsPerStep, "%.2f"),
                          r.arenaBytes.map(String.init) ?? "-", r.unplannedBytes.map(String.init) ?? "-",
                          r.kernels.map(String.init) ?? "-", r.kernelsUnoptimized.map(String.init) ?? "-",
                          format(r.peerMicrosecondsPerStep, "%.1f"), format(r.speedupOverPeer, "%.1fx")])
        }
        guard !records.isEmpty else { return }
        print("OpenBLAS core \(BLAS.coreName), \(threads) thread(s)")
        print(table.render())
        for r in records where r.loggingOverheadPercent != nil {
            print("\n\(r.name): the whole case study (\(r.runsPerBlock.map(String.init) ?? "-") runs of 100 epochs) takes \(format(r.millisecondsWithoutLogging, "%.2f")) ms per run without logging, \(format(r.millisecondsPerRun, "%.2f")) ms with a TrackingCallback per run (metrics, weight and gradient histograms every epoch, writes included): \(format(r.loggingOverheadPercent, "%+.1f"))% wall time (median of paired blocks)")
            print("  CPU over all threads: \(format(r.cpuMillisecondsWithoutLogging, "%.2f")) ms per run without, \(format(r.cpuMillisecondsWithLogging, "%.2f")) ms with (\(format(r.cpuLoggingOverheadPercent, "%+.1f"))%; the writer thread works beside the training thread); the training thread's own CPU \(format(r.trainingThreadLoggingOverheadPercent, "%+.1f"))%")
        }
        for r in records where r.millisecondsPerRun != nil && r.loggingOverheadPercent == nil {
            print("\n\(r.name): \(format(r.millisecondsPerRun, "%.1f")) ms per run (fit: 100 epochs of 16 steps, evaluation on train and test after each), \(format(r.microsecondsPerStep, "%.1f")) µs per step"
                  + (r.peerMillisecondsPerRun.map { "; PyTorch \(String(format: "%.0f", $0)) ms: \(format(r.speedupOverPeer, "%.1f"))x faster" } ?? ""))
        }
    }

    /// The deck's Keras Tuner search, ours and (with --python) Keras Tuner's.
    /// The samplers on Branin and Hartmann6 beside Optuna's (Benchmarks/Peers/optuna_hpo.py).
    private func runHPO() throws {
        let figures = try HPOBenchmark.run()
        var peer: [String: (regret: Double, seconds: Double)] = [:]
        if let python {
            let output = try PeerRun.run(python: python, script: "\(peers)/optuna_hpo.py", arguments: [])
            for line in output.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let function = object["function"] as? String, let sampler = object["sampler"] as? String,
                      let regret = object["median_regret"] as? Double, let seconds = object["median_seconds"] as? Double else { continue }
                peer["\(function)/\(sampler)"] = (regret, seconds)
            }
        }
        var table = TerminalTable(["function", "sampler", "median regret", "s/study", "optuna regret", "optuna s/study", "time ratio"])
        for f in figures {
            let other = peer["\(f.function)/\(f.sampler)"]
            table.append([f.function, f.sampler, String(format: "%.4g", f.medianRegret), String(format: "%.3f", f.medianSeconds),
                          other.map { String(format: "%.4g", $0.regret) } ?? "-", other.map { String(format: "%.3f", $0.seconds) } ?? "-",
                          other.map { String(format: "%.2fx", $0.seconds / Swift.max(f.medianSeconds, 1e-9)) } ?? "-"])
        }
        print("hpo: 50-trial studies, seeds 1–10, medians (regret = best found − optimum)")
        print(table.render())
    }

    /// The dashboard's API over a store of 10,000 runs × 100 epochs (built once in --dashboard-store).
    private func runDashboard() throws {
        let directory = dashboardStore ?? (FileManager.default.temporaryDirectory.path + "/temper-bench-dashboard")
        let f = try DashboardBenchmark.run(directory: directory)
        print("dashboard: \(f.runs) runs × \(f.epochs) epochs in \(directory) (built or checked in \(String(format: "%.1f", f.secondsToBuild)) s); milliseconds, median of 20:")
        var table = TerminalTable(["request", "ms"])
        table.append(["reading the store at startup (before the address is printed)", String(format: "%.1f", f.startupRead)])
        table.append(["runs page, the first request", String(format: "%.1f", f.firstRunsPage)])
        table.append(["runs page (100 rows)", String(format: "%.1f", f.runsPage)])
        table.append(["runs page, 2 filters, sorted, offset 100", String(format: "%.1f", f.filteredSortedRunsPage)])
        table.append(["runs page after a run logged (reads again)", String(format: "%.1f", f.afterAChange)])
        table.append(["run page (run, history at 640 points, system)", String(format: "%.1f", f.runPage)])
        print(table.render())
        let polled = try DashboardBenchmark.loggingUnderPolling(directory: directory + "-logging")
        let alone = polled.seconds[.nothing] ?? .nan, computing = polled.seconds[.computing] ?? .nan, polling = polled.seconds[.polling] ?? .nan
        print("logging 20,000 steps of 4 metrics in one run (median of 5): \(String(format: "%.3f", alone)) s alone; "
            + "\(String(format: "%.3f", computing)) s beside 2 threads that only compute (\(String(format: "%+.0f", 100 * (computing / alone - 1)))%: the CPU shared); "
            + "\(String(format: "%.3f", polling)) s beside 2 threads polling the API without pause (\(String(format: "%+.0f", 100 * (polling / alone - 1)))%); "
            + "steps lost: \(polled.lost)")
    }

    private func runAgents() throws {
        let postgres: String
        if let agentsStore {
            postgres = agentsStore
        } else {
            let server = try TestPostgres.start()
            postgres = try server.database("bench_agents")
            print("agents: a throwaway PostgreSQL server on 127.0.0.1:\(server.port) (fsync off; pass --agents-store URL for your own)")
        }
        let sqlite = FileManager.default.temporaryDirectory.path + "/temper-bench-agents-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: sqlite) }
        var table = TerminalTable(["store", "trials per claim", "agents", "trials", "trials/s", "claim+report ms/trial (median)", "90th pct", "heartbeat ms"])
        for (name, location) in [("PostgreSQL", postgres), ("SQLite", sqlite)] {
            for f in try AgentsBenchmark.run(location: location) {
                table.append([name, "\(f.batch)", "\(f.agents)", "\(f.trials)", String(format: "%.0f", f.trialsPerSecond),
                              String(format: "%.2f", f.claimMilliseconds), String(format: "%.2f", f.claimMilliseconds90),
                              String(format: "%.2f", f.heartbeatMilliseconds)])
            }
        }
        print("agents: each claims 1 or 25 trials per transaction (reporting the last ones' results in it; SweepRunner claims about 50 ms of trials at once), trains each 2 ms, sends a heartbeat per claim (timed apart); 50 trials per agent")
        print(table.render())
    }

    private func runTuner() throws {
        guard tunerEpochs > 0, tunerParallel > 0 else { throw ValidationError("--tuner-epochs and --tuner-parallel must be positive") }
        let figures = try TunerBenchmark.run(epochs: tunerEpochs, parallel: tunerParallel)
        print("tuner: the deck's RandomSearch, \(figures.trials) trials × \(figures.executions) executions × \(figures.epochs) epochs, batch 32, \(figures.parallel) at once: \(String(format: "%.2f", figures.seconds)) s; best \(figures.bestConfiguration) val_accuracy \(String(format: "%.4f", figures.bestScore))")
        let together = try TunerBenchmark.run(epochs: tunerEpochs, parallel: tunerParallel, vectorizeExecutions: true)
        print("tuner, each trial's executions trained together (vectorizeExecutions): \(String(format: "%.2f", together.seconds)) s; best \(together.bestConfiguration) val_accuracy \(String(format: "%.4f", together.bestScore))")
        guard let python else { return }
        let output = try PeerRun.run(python: python, script: "\(peers)/kt_seed.py", arguments: ["--epochs", String(tunerEpochs)])
        guard let seconds = PeerRun.number(after: "keras-tuner:", in: output) else { throw PeerRun.Failure.failed("unexpected output: \(output)") }
        print("keras-tuner: \(String(format: "%.1f", seconds)) s (\(output.trimmingCharacters(in: .whitespacesAndNewlines))); Temper is \(String(format: "%.0f", seconds / figures.seconds))x faster")
    }

    private func format(_ value: Double?, _ pattern: String) -> String {
        value.map { String(format: pattern, $0) } ?? "-"
    }

    /// The peer's microseconds per training step (train-only for the case study).
    private func peerStep(_ name: Workload, python: String) throws -> Double {
        switch name {
        case .casestudy:
            let output = try PeerRun.run(python: python, script: "\(peers)/torch_circles.py", arguments: ["after", String(threads)])
            guard let us = PeerRun.number(after: "train-only step", in: output) else { throw PeerRun.Failure.failed("unexpected output: \(output)") }
            return us
        default:
            let output = try PeerRun.run(python: python, script: "\(peers)/torch_mlp.py", arguments: [String(threads)])
            guard let ms = PeerRun.number(after: "BN batch 256:", in: output) else { throw PeerRun.Failure.failed("unexpected output: \(output)") }
            return ms * 1000
        }
    }
}
