import Foundation
import Testing
import ProcessSupport
import Tracking

/// `temper sweep`, `agent`, `sweep resume`, `sweep show` and `sweeps`, run as a user runs them.
@Suite(.serialized)
struct SweepCommandTests {
    /// The shipped circles data.
    static let circles = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/data/circles.csv").path

    /// A folder with a train spec (`epochs` per trial) and a sweep file over it.
    func sweepFolder(epochs: Int, sweep: String) throws -> String {
        let folder = temporaryStore()
        try """
        project: sweeps-test
        config: {units: 8, lr: 0.05, batchnorm: none, epochs: \(epochs)}
        data: {csv: \(Self.circles), train_rows: 500}
        model:
          - Dense: {units: units, activation: relu, input_shape: [2]}
          - BatchNormalization: {when: {batchnorm: after}}
          - Dense: {units: 1, activation: sigmoid}
        compile: {optimizer: {name: sgd, learning_rate: lr, momentum: 0.9}, loss: binary_crossentropy, metrics: [accuracy]}
        fit: {epochs: epochs, batch_size: 32}
        """.write(toFile: folder + "/train.yaml", atomically: true, encoding: .utf8)
        try sweep.write(toFile: folder + "/sweep.yaml", atomically: true, encoding: .utf8)
        return folder
    }

    static let randomSweep = """
        program: train.yaml
        method: random
        metric: {name: val_accuracy, goal: maximize}
        run_cap: 8
        parameters:
          units: {values: [4, 8, 16]}
          lr: {distribution: log_uniform_values, min: 0.005, max: 0.2}
          batchnorm: {values: [none, after]}
        """

    /// Each trial: number, state, configuration and score; and each run's loss history.
    func table(_ dir: String) throws -> (trials: [String], histories: [[Double]]) {
        let store = try RunStore(directory: dir, access: .readOnly)
        let sweep = try #require(try store.sweeps().first)
        let trials = try store.trials(sweep.id)
        let rows = trials.map { "\($0.number) \($0.state.rawValue) \($0.config.flattened.map { "\($0.key)=\($0.value)" }) \($0.score.map { String($0) } ?? "-")" }
        let histories = try trials.map { trial in try store.history(try #require(trial.runIDs.last))["loss"]?.map(\.value) ?? [] }
        return (rows, histories)
    }

    @Test func parallelWorkersAndAgentsGiveTheSameTrialsBitForBit() throws {
        let folder = try sweepFolder(epochs: 400, sweep: Self.randomSweep)
        let one = folder + "/one", two = folder + "/two", agents = folder + "/agents"
        let first = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", one])
        #expect(first.status == 0, "\(first.errors)")
        #expect(first.output.contains("random search, 8 trials (run_cap)"))
        #expect(try runTemper(["sweep", folder + "/sweep.yaml", "--dir", two, "--parallel", "2"]).status == 0)
        // A sweep process and an agent taking trials from it at once.
        let (main, _) = try launchTemper(["sweep", folder + "/sweep.yaml", "--dir", agents, "--quiet"])
        var id: String?
        let deadline = Date().addingTimeInterval(30)
        while id == nil && Date() < deadline {
            id = try? RunStore(directory: agents, access: .readOnly).sweeps().first?.id
            Thread.sleep(forTimeInterval: 0.02)
        }
        let agent = try runTemper(["agent", try #require(id), "--dir", agents, "--quiet"])
        main.waitUntilExit()
        #expect(agent.status == 0 && main.terminationStatus == 0, "\(agent.errors)")
        let reference = try table(one)
        #expect(reference.trials.count == 8 && reference.trials.allSatisfy { $0.contains("finished") })
        for other in [two, agents] {
            let result = try table(other)
            #expect(result.trials == reference.trials, "\(other)")
            #expect(result.histories == reference.histories, "bit-identical training in \(other)")
        }
        // No trial was taken twice: one run each.
        let agentStore = try RunStore(directory: agents, access: .readOnly)
        #expect(try agentStore.trials(try #require(id)).allSatisfy { $0.runIDs.count == 1 })
        // Both processes took trials.
        let commands = Set(try RunStore(directory: agents, access: .readOnly).runs().map { $0.command.contains(" agent ") })
        #expect(commands == [true, false], "the agent took no trial (or all): the test did not exercise two agents")
    }

    @Test func vectorizedTrialsGiveTheSameTableAndBadCountsAreRefused() throws {
        let folder = try sweepFolder(epochs: 30, sweep: Self.randomSweep)
        let apart = folder + "/apart", together = folder + "/together", automatic = folder + "/auto"
        #expect(try runTemper(["sweep", folder + "/sweep.yaml", "--dir", apart, "--quiet"]).status == 0)
        let grouped = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", together, "--vectorize", "4"])
        #expect(grouped.status == 0 && grouped.output.contains("up to 4 trials together as one program"), "\(grouped.output)\(grouped.errors)")
        let chosen = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", automatic, "--vectorize", "auto", "--parallel", "2"])
        #expect(chosen.status == 0 && chosen.output.contains("group size chosen by measurement"), "\(chosen.errors)")
        #expect(chosen.output.contains(" per group (by measurement, one size per worker)"), "\(chosen.output)")
        let reference = try table(apart)
        for other in [together, automatic] {
            let result = try table(other)
            #expect(result.trials == reference.trials, "\(other)")
            #expect(result.histories == reference.histories, "bit-identical training in \(other)")
        }
        for bad in ["0", "65", "some"] {
            let refused = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", folder + "/bad", "--vectorize", bad])
            #expect(refused.status != 0 && refused.errors.contains("--vectorize takes a number of trials from 1 to 64, or auto, not \"\(bad)\""), "\(refused.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/bad"), "a refused command created the store")
    }

    @Test func vectorizeIsRefusedForTrialsThatRunAsCommands() throws {
        let folder = try sweepFolder(epochs: 1, sweep: "program: train.py\nmethod: grid\nmetric: {name: loss}\nparameters:\n  x: {values: [1, 2]}\n")
        try #"print('{"loss": 1}')"# .write(toFile: folder + "/train.py", atomically: true, encoding: .utf8)
        let refused = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", folder + "/runs", "--vectorize", "2"])
        #expect(refused.status != 0 && refused.errors.contains("cannot train as one program"), "\(refused.output)\(refused.errors)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/runs"), "the refused sweep was created")
    }

    @Test func aKilledSweepResumesToTheSameTableAsAnUninterruptedOne() throws {
        let folder = try sweepFolder(epochs: 1500, sweep: Self.randomSweep)
        let reference = folder + "/whole", killed = folder + "/killed"
        #expect(try runTemper(["sweep", folder + "/sweep.yaml", "--dir", reference, "--quiet"]).status == 0)
        let (process, _) = try launchTemper(["sweep", folder + "/sweep.yaml", "--dir", killed, "--quiet"])
        // Kill it once two trials are finished and the third is running.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let trials = (try? RunStore(directory: killed, access: .readOnly).sweeps().first.map { try RunStore(directory: killed, access: .readOnly).trials($0.id) }) ?? nil
            if let trials, trials.filter({ $0.state == .finished }).count >= 2, trials.contains(where: { $0.state == .running }) { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let store = try RunStore(directory: killed, access: .readOnly)
        let interrupted = try store.trials(try #require(try store.sweeps().first).id)
        #expect(interrupted.contains { $0.state == .crashed }, "the running trial reads as crashed")
        // The same command again resumes.
        let again = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", killed])
        #expect(again.status == 0 && again.output.contains("resuming"), "\(again.errors)")
        let resumed = try table(killed), whole = try table(reference)
        #expect(resumed.trials == whole.trials)
        #expect(resumed.histories == whole.histories, "\(zip(resumed.histories, whole.histories).enumerated().filter { $0.element.0 != $0.element.1 }.map { "trial \($0.offset): \($0.element.0.count) vs \($0.element.1.count) steps, first \($0.element.0.first ?? .nan) vs \($0.element.1.first ?? .nan)" })")
        let final = try store.trials(try #require(try store.sweeps().first).id)
        #expect(final.contains { $0.attempt == 2 }, "the interrupted trial ran again")
        #expect(final.allSatisfy { $0.state == .finished })
    }

    @Test func ctrlCStopsCleanlyAndTheSweepResumes() throws {
        let folder = try sweepFolder(epochs: 1500, sweep: Self.randomSweep)
        let dir = folder + "/runs", reference = folder + "/whole"
        let (process, output) = try launchTemper(["sweep", folder + "/sweep.yaml", "--dir", dir], mergingErrors: true)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let id = try? RunStore(directory: dir, access: .readOnly).sweeps().first?.id,
               (try? RunStore(directory: dir, access: .readOnly).trials(id).filter { $0.state == .finished }.count) ?? 0 >= 1 { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(process.processIdentifier, SIGINT)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // Stopped cleanly, and the status says so as a shell would (128 + SIGINT).
        #expect(process.terminationStatus == 130, "\(text)")
        #expect(text.contains("stopped; go on with: temper sweep resume"))
        let store = try RunStore(directory: dir, access: .readOnly)
        let sweep = try #require(try store.sweeps().first)
        #expect(sweep.state == .stopped)
        #expect(try store.trials(sweep.id).allSatisfy { $0.state != .running })
        let resume = try runTemper(["sweep", "resume", sweep.id, "--dir", dir])
        #expect(resume.status == 0, "\(resume.errors)")
        #expect(try runTemper(["sweep", folder + "/sweep.yaml", "--dir", reference, "--quiet"]).status == 0)
        let (resumed, whole) = (try table(dir).trials, try table(reference).trials)
        #expect(resumed == whole, "\(resumed) vs \(whole)")
    }

    @Test func aTargetEndsTheSweepAndGridSaysItsSizeFirst() throws {
        let folder = try sweepFolder(epochs: 50, sweep: """
            program: train.yaml
            method: grid
            metric: {name: val_accuracy, goal: maximize, target: 0.3}
            parameters:
              units: {distribution: q_uniform, min: 4, max: 16, q: 4}
              lr: {values: [0.05, 0.1, 0.2]}
            """)
        let result = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", folder + "/runs"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("grid search, 9 trials"))
        #expect(result.output.contains("the target val_accuracy 0.3 was reached"))
        // The first trial reaches the target: no other trial starts.
        let store = try RunStore(directory: folder + "/runs", access: .readOnly)
        #expect(try store.trials(try #require(try store.sweeps().first).id).count == 1)
    }

    @Test func aParameterTheSpecDoesNotReadIsWarnedAboutWithASuggestion() throws {
        let folder = try sweepFolder(epochs: 5, sweep: """
            program: train.yaml
            method: grid
            metric: {name: val_accuracy, goal: maximize}
            run_cap: 1
            parameters:
              unit: {values: [4, 8]}
            """)
        let result = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", folder + "/runs"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.errors.contains("unit is not a config key") && result.errors.contains("did you mean units?"), "\(result.errors)")
        #expect(result.output.contains("grid search, 1 trial (run_cap; the grid has 2)"), "\(result.output)")
    }

    @Test func scriptsReportByJSONLinesAndAFailingTrialIsRecorded() throws {
        let folder = temporaryStore()
        try """
        import json, sys
        args = dict(a[2:].split("=", 1) for a in sys.argv[1:])
        x = float(args["x"])
        if args["mode"] == "fail":
            print("going down", file=sys.stderr)
            sys.exit(3)
        for epoch in range(3):
            print(json.dumps({"epoch": epoch, "score": x * (epoch + 1), "flag": True}))
        print("not json")
        """.write(toFile: folder + "/train.py", atomically: true, encoding: .utf8)
        try """
        program: train.py
        method: grid
        metric: {name: score, goal: maximize}
        parameters:
          x: {values: [1, 2]}
          mode: {values: [ok, fail]}
        """.write(toFile: folder + "/sweep.yaml", atomically: true, encoding: .utf8)
        let result = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", folder + "/runs"])
        #expect(result.status == 0, "\(result.errors)")
        let store = try RunStore(directory: folder + "/runs", access: .readOnly)
        let trials = try store.trials(try #require(try store.sweeps().first).id)
        #expect(trials.count == 4)
        for trial in trials {
            let failing = trial.config["mode"] == "fail"
            #expect(trial.state == (failing ? .failed : .finished))
            if failing {
                #expect(trial.error?.contains("exited with status 3") == true && trial.error?.contains("going down") == true)
            } else {
                // The last logged score: x · 3.
                let x = trial.config["x"]?.number ?? .nan
                #expect(trial.score == x * 3)
                let history = try store.history(try #require(trial.runIDs.first))
                #expect(history["score"]?.map(\.step) == [0, 1, 2] && history["flag"] == nil)
            }
        }
        #expect(try runTemper(["sweep", "show", "--dir", folder + "/runs", "sweep"]).output.contains("best: trial"))
    }

    @Test func aSweepNamedWithEscapeSequencesPrintsThemInert() throws {
        // A configuration value too (it reaches the final "best … at trial" line).
        let folder = try sweepFolder(epochs: 1, sweep: Self.randomSweep.replacingOccurrences(of: "run_cap: 8", with: "run_cap: 1")
            .replacingOccurrences(of: "parameters:\n", with: "parameters:\n  note: {values: [\"\\e[2Jx\"]}\n")
            + "\nname: \"n\\e]0;pwned\\a\"\nproject: \"<b>\\e[31m\"\n")
        let result = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", folder + "/runs"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(!result.output.contains("\u{1B}") && !result.output.contains("\u{07}"), "\(result.output)")
        #expect(result.output.contains("project <b>"))
        #expect(result.output.contains("at trial 0: ") && result.output.contains("note=\\e[2Jx"), "\(result.output)")
    }

    @Test func hyperbandInterruptsACommandTrial() throws {
        let folder = temporaryStore()
        try """
        import json, sys, time
        args = dict(a[2:].split("=", 1) for a in sys.argv[1:])
        x = float(args["x"])
        for epoch in range(20):
            print(json.dumps({"epoch": epoch, "score": x * (epoch + 1)}), flush=True)
        """.write(toFile: folder + "/train.py", atomically: true, encoding: .utf8)
        try """
        program: train.py
        method: grid
        metric: {name: score, goal: maximize}
        early_terminate: {type: hyperband, min_iter: 2, eta: 2}
        parameters:
          x: {values: [5, 4, 3, 2, 1]}
        """.write(toFile: folder + "/sweep.yaml", atomically: true, encoding: .utf8)
        let result = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", folder + "/runs"])
        #expect(result.status == 0, "\(result.errors)")
        let store = try RunStore(directory: folder + "/runs", access: .readOnly)
        let trials = try store.trials(try #require(try store.sweeps().first).id)
        // Trial 3 (x = 2) at iteration 2 has 4 against 10 and 8 before it: the threshold is the
        // value at index ⌊3/2⌋ = 8, so it stops; trial 4 likewise; trials 0–2 run whole.
        #expect(trials.map(\.state) == [.finished, .finished, .finished, .stopped, .stopped])
        // The program prints all 20 epochs at once, before the interrupt can reach it: what it
        // printed after the verdict is not logged (it was, and the score then depended on timing).
        for (trial, x) in zip(trials.suffix(2), [2.0, 1.0]) {
            #expect(trial.error?.contains("stopped by hyperband after 2 epochs") == true, "\(trial.error ?? "")")
            let logged = try store.history(try #require(trial.runIDs.first))["score"]?.map(\.value) ?? []
            #expect(logged == [x, 2 * x] && trial.score == 2 * x, "\(logged) \(trial.score ?? .nan)")
        }
    }

    @Test func aTemperProgramAsASubprocessLogsThroughTheTracker() throws {
        let folder = try sweepFolder(epochs: 5, sweep: """
            program: train.yaml
            method: grid
            metric: {name: val_accuracy, goal: maximize}
            parameters:
              units: {values: [4, 8]}
            command:
              - ${env}
              - \(try temperExecutable())
              - train
              - ${program}
              - --quiet
              - ${args}
            """)
        let result = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", folder + "/runs"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("trials run as commands"))
        let store = try RunStore(directory: folder + "/runs", access: .readOnly)
        let sweep = try #require(try store.sweeps().first)
        for trial in try store.trials(sweep.id) {
            #expect(trial.state == .finished && trial.runIDs.count == 1)
            let run = try store.run(try #require(trial.runIDs.first))
            // The child's `temper train` logged into the trial's run, trained with the trial's units.
            #expect(run.summary["val_accuracy"]?.count == 5 && run.sweepID == sweep.id && run.trial == trial.number)
            #expect(trial.score == run.summary["val_accuracy"]?.last)
        }
        let runs = try runTemper(["runs", "--dir", folder + "/runs", "--sweep", sweep.id])
        #expect(runs.status == 0 && runs.output.contains("2 runs"))
        #expect(try runTemper(["sweeps", "--dir", folder + "/runs"]).output.contains(sweep.id))
        // Its offline report (temper-dashboard writes it); a sweep not named is a plain error, not usage text.
        let report = try runTemper(["report", "--sweep", String(sweep.id.prefix(4)), "--dir", folder + "/runs", "--out", folder + "/sweep.html"])
        #expect(report.status == 0, "\(report.errors)")
        #expect(try String(contentsOfFile: folder + "/sweep.html", encoding: .utf8).hasPrefix("<!doctype html>"))
        for name in ["", "nonsense"] {
            let refused = try runTemper(["report", "--sweep", name, "--dir", folder + "/runs", "--out", folder + "/other.html"])
            #expect(refused.status == 1 && refused.errors.contains(name.isEmpty ? "name the sweep" : "no sweep \"nonsense\""), "\(refused.errors)")
            #expect(!refused.errors.contains("Usage") && !FileManager.default.fileExists(atPath: folder + "/other.html"))
        }
    }

    @Test func theDigitsBayesExampleRuns() throws {
        // Examples/sweeps/digits-bayes.yaml and its train spec, shortened: 8 trials of 3 epochs.
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Examples").path
        let folder = temporaryStore()
        let train = try String(contentsOfFile: examples + "/train/digits.yaml", encoding: .utf8)
            .replacingOccurrences(of: "csv: ../data/digits.csv", with: "csv: \(examples)/data/digits.csv")
            .replacingOccurrences(of: "epochs: 27", with: "epochs: 3")
        try train.write(toFile: folder + "/digits.yaml", atomically: true, encoding: .utf8)
        let sweep = try String(contentsOfFile: examples + "/sweeps/digits-bayes.yaml", encoding: .utf8)
            .replacingOccurrences(of: "program: ../train/digits.yaml", with: "program: digits.yaml")
            .replacingOccurrences(of: "run_cap: 40", with: "run_cap: 8")
        try sweep.write(toFile: folder + "/sweep.yaml", atomically: true, encoding: .utf8)
        let result = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", folder + "/runs"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("Bayesian optimization (Gaussian process; 18 random trials first, lag 1), 8 trials (run_cap)"))
        #expect(result.output.contains("hyperband early termination at 3, 9, 27"))
        let importance = try runTemper(["sweep", "importance", "digits-bayes", "--dir", folder + "/runs"])
        #expect(importance.status == 0 && importance.output.contains("learn_rate"), "\(importance.errors)")
        #expect(try runTemper(["sweep", "show", "digits-bayes", "--dir", folder + "/runs"]).output.contains("importance: "))
    }

    @Test func theLiveViewRanksTheParametersEveryTenTrials() throws {
        let folder = try sweepFolder(epochs: 2, sweep: Self.randomSweep.replacingOccurrences(of: "run_cap: 8", with: "run_cap: 12"))
        let result = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", folder + "/runs"])
        #expect(result.status == 0, "\(result.errors)")
        let lines = result.output.split(separator: "\n").map(String.init)
        // Once, when the tenth scored trial is recorded (trials are recorded in batches: 10 to 12).
        let live = lines.filter { $0.hasPrefix("after ") && $0.contains(" trials, importance: ") }
        #expect(live.count == 1, "\(result.output)")
        let count = try #require(live.first.flatMap { Int($0.split(separator: " ")[1]) })
        #expect((10...12).contains(count))
        #expect(["units", "lr", "batchnorm"].allSatisfy { live[0].contains($0) })
        #expect(lines.contains { $0.hasPrefix("importance: ") && $0.contains("(temper sweep importance") })
    }

    @Test(arguments: [
        ("{type: hyperband, min_iter: 2, eta: 2}", "stopped by hyperband after", [2, 4, 8]),
        ("{type: asha, min_iter: 2, eta: 2}", "stopped by ASHA at rung", [2, 4, 8]),
        ("{type: async_hyperband, min_iter: 2, max_iter: 8, eta: 2}", "stopped by hyperband bracket", [2, 4]),
    ])
    func earlyTerminationStopsTrialsAndTheSameAtAnyParallelism(policy: String, reason: String, rungs: [Int]) throws {
        let folder = try sweepFolder(epochs: 12, sweep: Self.randomSweep + "\nearly_terminate: \(policy)\n")
        let one = try runTemper(["sweep", folder + "/sweep.yaml", "--dir", folder + "/one"])
        #expect(one.status == 0, "\(one.errors)")
        #expect(try runTemper(["sweep", folder + "/sweep.yaml", "--dir", folder + "/two", "--parallel", "3"]).status == 0)
        #expect(try table(folder + "/one").trials == table(folder + "/two").trials)
        let store = try RunStore(directory: folder + "/one", access: .readOnly)
        let trials = try store.trials(try #require(try store.sweeps().first).id)
        let stopped = trials.filter { $0.state == .stopped }
        #expect(!stopped.isEmpty && stopped.count < trials.count, "\(trials.map(\.state))")
        for trial in stopped {
            #expect(trial.error?.contains(reason) == true && trial.score != nil, "\(trial.error ?? "")")
            // Stopped at a rung, before the twelfth epoch.
            let epochs = try store.history(try #require(trial.runIDs.first))["val_accuracy"]?.count ?? 0
            #expect(rungs.contains(epochs), "\(epochs)")
        }
        // A trial is judged only against trials before it by more than the lag (1): the first two run whole.
        #expect(trials.prefix(2).allSatisfy { $0.state == .finished })
    }
}

/// What the hostile review found: results behind a long trial, re-run configurations, long
/// output lines, NaN at the end, finished state with another process's trial running.
@Suite(.serialized)
struct SweepReviewTests {
    static let circles = SweepCommandTests.circles

    func folder(_ sweep: String) throws -> String {
        try SweepCommandTests().sweepFolder(epochs: 1, sweep: sweep)
    }

    @Test func finishedTrialsAreRecordedWhileALongOneRunsAndNotRunAgainAfterAKill() throws {
        let dir = try folder("""
            program: train.yaml
            method: grid
            metric: {name: val_accuracy, goal: maximize}
            parameters:
              epochs: {values: [1, 2, 3, 4, 5, 6, 100000]}
            """)
        let (process, _) = try launchTemper(["sweep", dir + "/sweep.yaml", "--dir", dir + "/runs", "--quiet"])
        // Wait for the long trial to run, then give the monitor a moment.
        var longRunning = false
        let deadline = Date().addingTimeInterval(60)
        while !longRunning && Date() < deadline {
            let store = try? RunStore(directory: dir + "/runs", access: .readOnly)
            if let id = try? store?.sweeps().first?.id, let trials = try? store?.trials(id) {
                longRunning = trials.contains { $0.number == 6 && $0.state == .running }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.5)
        let store = try RunStore(directory: dir + "/runs", access: .readOnly)
        let id = try #require(try store.sweeps().first?.id)
        let during = try store.trials(id)
        #expect(during.filter { $0.number < 6 }.allSatisfy { $0.state == .finished }, "\(during.map { "\($0.number) \($0.state)" })")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Resumed (and killed again while the long trial runs): no short trial trained twice.
        let (again, _) = try launchTemper(["sweep", "resume", id, "--dir", dir + "/runs", "--quiet"])
        Thread.sleep(forTimeInterval: 1.5)
        kill(again.processIdentifier, SIGKILL)
        again.waitUntilExit()
        #expect(try store.trials(id).filter { $0.number < 6 }.allSatisfy { $0.runIDs.count == 1 })
    }

    @Test func aSlowTrialDoesNotHoldUpTheOtherWorker() throws {
        let dir = try folder("""
            program: train.yaml
            method: grid
            metric: {name: val_accuracy, goal: maximize}
            parameters:
              epochs: {values: [1, 1, 1, 1, 1, 1, 8000, 8001]}
            """)
        #expect(try runTemper(["sweep", dir + "/sweep.yaml", "--dir", dir + "/runs", "--parallel", "2", "--quiet"]).status == 0)
        let store = try RunStore(directory: dir + "/runs", access: .readOnly)
        let runs = try store.runs()
        let slow = runs.filter { ($0.config["epochs"]?.number ?? 0) > 2000 }
        try #require(slow.count == 2)
        // The two slow trials trained at the same time, one on each worker.
        let (a, b) = (slow[0], slow[1])
        #expect(a.createdAt < (b.endedAt ?? 0) && b.createdAt < (a.endedAt ?? 0), "the slow trials ran one after the other")
    }

    @Test func longOutputLinesAndNaNAtTheEndAreHandled() throws {
        let dir = temporaryStore()
        try """
        import json, sys
        args = dict(a[2:].split("=", 1) for a in sys.argv[1:])
        sys.stdout.write("x" * (8 << 20))
        sys.stdout.write("\\n")
        print(json.dumps({"score": 1.0}))
        if args["mode"] == "nan":
            print(json.dumps({"score": float("nan")}))
        """.write(toFile: dir + "/train.py", atomically: true, encoding: .utf8)
        try """
        program: train.py
        method: grid
        metric: {name: score, goal: maximize}
        parameters:
          mode: {values: [ok, nan]}
        """.write(toFile: dir + "/sweep.yaml", atomically: true, encoding: .utf8)
        let started = Date()
        let result = try runTemper(["sweep", dir + "/sweep.yaml", "--dir", dir + "/runs"], timeout: 60)
        #expect(result.status == 0 && !result.timedOut, "\(result.errors)")
        #expect(Date().timeIntervalSince(started) < 30)
        let store = try RunStore(directory: dir + "/runs", access: .readOnly)
        let trials = try store.trials(try #require(try store.sweeps().first?.id))
        #expect(trials.first { $0.config["mode"] == "ok" }?.score == 1)
        let nan = try #require(trials.first { $0.config["mode"] == "nan" })
        #expect(nan.state == .failed && nan.error?.contains("diverged") == true, "\(nan.error ?? "")")
    }

    @Test func aRunRecordsTheSeedItTrainedWithAndKeepsSweptKeys() throws {
        let dir = try folder("""
            program: train.yaml
            method: grid
            metric: {name: val_accuracy, goal: maximize}
            parameters:
              seed: {values: [7]}
              trial: {values: [x]}
            """)
        #expect(try runTemper(["sweep", dir + "/sweep.yaml", "--dir", dir + "/runs", "--quiet"]).status == 0)
        let run = try #require(try RunStore(directory: dir + "/runs", access: .readOnly).runs().first)
        #expect(run.config["seed"] == 7 && run.config["trial"] == "x")
        #expect(run.config["temper"] == ["trial": 0, "execution": 0, "seed": "7"])
    }

    @Test func theSummaryComesBeforeTheEpochsThroughAPipe() throws {
        let dir = try folder("program: train.yaml\nmethod: grid\nmetric: {name: loss}\nparameters:\n  units: {values: [1]}\n")
        let result = try runTemper(["train", dir + "/train.yaml", "--no-track"])
        let summary = try #require(result.output.range(of: "Total params"), "\(result.output)")
        let epoch = try #require(result.output.range(of: "/step"), "\(result.output)")
        #expect(summary.lowerBound < epoch.lowerBound)
    }

    @Test func trainRefusesOverridesOfKeysTheSpecDoesNotHave() throws {
        let dir = try folder("program: train.yaml\nmethod: grid\nmetric: {name: loss}\nparameters:\n  units: {values: [1]}\n")
        let typo = try runTemper(["train", dir + "/train.yaml", "--unts=3", "--no-track"])
        #expect(typo.status != 0 && typo.errors.contains("did you mean --units?"))
        #expect(try runTemper(["train", dir + "/train.yaml", "--unts=3", "--new-keys", "--no-track", "--quiet"]).status == 0)
        #expect(try runTemper(["train", dir + "/train.yaml", "--units=abc", "--no-track", "--quiet"]).errors.contains("must be an integer"))
    }
}
