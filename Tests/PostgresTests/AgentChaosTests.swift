import Foundation
import ProcessSupport
import Testing
import Tracking
import TrackingPostgres

/// `temper agent` processes sharing a sweep on PostgreSQL while they are killed, paused, and
/// while the server restarts: every trial ends once, with the trials one agent on SQLite makes.
@Suite(.serialized) struct AgentChaosTests {
    init() { PostgresEngine.register() }

    /// A folder with a command sweep of `trials` trials over x in [0, 1]: each trial logs `epochs`
    /// epochs `pause` seconds apart, its score at an epoch the Python expression `score` of x and
    /// epoch (so a function of its configuration); `extra` lines are added to the sweep file.
    private func sweepFolder(trials: Int, method: String = "random", seed: Int = 5, epochs: Int = 4, pause: Double = 0.07,
                             score: String = "x * (epoch + 1)", extra: String = "") throws -> String {
        let folder = temporaryStore()
        try """
        import json, sys, time
        args = dict(a[2:].split("=", 1) for a in sys.argv[1:])
        x = float(args["x"])
        for epoch in range(\(epochs)):
            time.sleep(\(pause))
            print(json.dumps({"epoch": epoch, "score": \(score)}), flush=True)
        """.write(toFile: folder + "/train.py", atomically: true, encoding: .utf8)
        try """
        program: train.py
        method: \(method)
        seed: \(seed)
        metric: {name: score, goal: maximize}
        run_cap: \(trials)
        parameters:
          x: {min: 0.0, max: 1.0}
        \(extra)
        """.write(toFile: folder + "/sweep.yaml", atomically: true, encoding: .utf8)
        return folder
    }

    private func createSweep(_ folder: String, store: String) throws -> String {
        let created = try runTemper(["sweep", folder + "/sweep.yaml", "--store", store, "--create-only"])
        #expect(created.status == 0, "\(created.errors)")
        return created.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func agent(_ id: String, store: String) throws -> Process {
        try launchTemper(["agent", id, "--store", store, "--quiet", "--stale-after", "2"]).0
    }

    /// Waits for an agent to end; one still running after `timeout` seconds is a failure, and killed.
    private func finish(_ agent: Process, timeout: TimeInterval = 180) {
        let deadline = Date().addingTimeInterval(timeout)
        while agent.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if agent.isRunning {
            Issue.record("agent \(agent.processIdentifier) still ran after \(Int(timeout)) s")
            kill(agent.processIdentifier, SIGKILL)
        }
        agent.waitUntilExit()
    }

    /// (number, x, score) of every trial, in number order.
    private func table(_ store: String, sweep: String) throws -> [String] {
        try RunStore(location: store, access: .readOnly).trials(sweep).map { "\($0.number) \($0.config["x"].map { "\($0)" } ?? "-") \($0.score.map { "\($0.bitPattern)" } ?? "-") \($0.state)" }
    }

    @Test func fourAgentsKilledAndPausedFinishEveryTrialOnce() throws {
        let folder = try sweepFolder(trials: 40)
        let url = try TestPostgres.shared().database()
        let id = try createSweep(folder, store: url)
        var agents = try (0..<4).map { _ in try agent(id, store: url) }
        var schedule: [String] = []
        var generator = SystemRandomNumberGenerator()
        let start = Date()
        var paused = false, kills = 0
        while agents.contains(where: \.isRunning) && Date().timeIntervalSince(start) < 240 {
            Thread.sleep(forTimeInterval: Double.random(in: 0.4...1.2, using: &generator))
            if agents[0].isRunning && kills < 6 {
                kill(agents[0].processIdentifier, SIGKILL)
                agents[0].waitUntilExit()
                kills += 1
                schedule.append(String(format: "%.1f s: killed agent 0", Date().timeIntervalSince(start)))
                agents[0] = try agent(id, store: url)
            }
            if !paused && Date().timeIntervalSince(start) > 1.5 && agents[1].isRunning {
                paused = true
                kill(agents[1].processIdentifier, SIGSTOP)
                schedule.append(String(format: "%.1f s: paused agent 1 for 3.5 s", Date().timeIntervalSince(start)))
                Thread.sleep(forTimeInterval: 3.5)
                kill(agents[1].processIdentifier, SIGCONT)
            }
        }
        for agent in agents { finish(agent) }
        #expect(agents.dropFirst().allSatisfy { $0.terminationStatus == 0 }, "\(agents.map(\.terminationStatus)) \(schedule)")
        let store = try RunStore(location: url, access: .readOnly)
        let trials = try store.trials(id)
        #expect(trials.map(\.number) == Array(0..<40), "\(schedule)")
        #expect(trials.allSatisfy { $0.state == .finished }, "\(trials.filter { $0.state != .finished }.map { "\($0.number): \($0.state)" }) \(schedule)")
        #expect(trials.contains { $0.attempt > 1 }, "no trial was taken again: the chaos did not hit a running trial (\(schedule))")
        // A trial has one finished run: the paused agent's late one is marked as not counted.
        let finishedRuns = Dictionary(grouping: try store.runs(sweep: id).filter { $0.state == .finished }, by: \.trial)
        #expect(finishedRuns.count == 40 && finishedRuns.values.allSatisfy { $0.count == 1 },
                "\(finishedRuns.filter { $0.value.count != 1 }.map { "trial \($0.key ?? -1): \($0.value.count)" }) \(schedule)")
        // One agent on SQLite, with the same file and seed.
        let sqlite = folder + "/one"
        let one = try runTemper(["sweep", folder + "/sweep.yaml", "--store", sqlite, "--quiet"], timeout: 300)
        #expect(one.status == 0, "\(one.errors)")
        let single = try #require(try RunStore(location: sqlite, access: .readOnly).sweeps().first).id
        #expect(try table(url, sweep: id) == table(sqlite, sweep: single), "\(schedule)")
    }

    @Test(arguments: ["bayes", "tpe"])
    func learningSamplersAndEarlyTerminationGiveOneMachinesTrials(method: String) throws {
        let folder = try sweepFolder(trials: 12, method: method, seed: 11, epochs: 6, pause: 0.02, score: "(1 - (x - 0.3) ** 2) * (epoch + 1) / 6",
                                     extra: "early_terminate: {type: hyperband, min_iter: 2, eta: 2}")
        let url = try TestPostgres.shared().database()
        let id = try createSweep(folder, store: url)
        let agents = try (0..<2).map { _ in try agent(id, store: url) }
        for agent in agents { finish(agent) }
        #expect(agents.allSatisfy { $0.terminationStatus == 0 })
        let one = try runTemper(["sweep", folder + "/sweep.yaml", "--store", folder + "/one", "--quiet"], timeout: 300)
        #expect(one.status == 0, "\(one.errors)")
        let single = try #require(try RunStore(location: folder + "/one", access: .readOnly).sweeps().first).id
        let (many, alone) = (try table(url, sweep: id), try table(folder + "/one", sweep: single))
        #expect(many == alone)
        #expect(alone.count == 12 && alone.allSatisfy { $0.hasSuffix("finished") || $0.hasSuffix("stopped") }, "\(alone)")
        // With this seed the rule stops some of TPE's trials (the GP's all reach the good region).
        if method == "tpe" { #expect(alone.contains { $0.hasSuffix("stopped") }, "\(alone)") }
    }

    @Test func agentsGoOnWhenTheServerRestarts() throws {
        let server = try TestPostgres.start()
        let folder = try sweepFolder(trials: 16)
        let url = try server.database()
        let id = try createSweep(folder, store: url)
        let agents = try (0..<2).map { _ in try agent(id, store: url) }
        Thread.sleep(forTimeInterval: 1.5)
        let store = try RunStore(location: url, access: .readOnly)
        let before = try store.trials(id).filter { $0.state == .finished }.count
        try server.restart()
        for agent in agents { finish(agent) }
        #expect(agents.allSatisfy { $0.terminationStatus == 0 }, "\(agents.map(\.terminationStatus))")
        let trials = try store.trials(id)
        #expect(before > 0 && before < 16, "the restart came \(before == 0 ? "before any" : "after every") trial ended")
        #expect(trials.count == 16 && trials.allSatisfy { $0.state == .finished })
        for trial in trials {
            // Every epoch of the run that counted was logged, restart or not.
            let counted = try #require(trial.runIDs.last)
            #expect(try store.history(counted)["score"]?.map(\.step) == [0, 1, 2, 3], "trial \(trial.number)")
        }
    }
}
