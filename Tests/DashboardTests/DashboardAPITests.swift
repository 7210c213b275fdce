import Foundation
import GRDB
import Testing
import ProcessSupport
import Tracking
@testable import Dashboard

/// A store with three runs (one with a hostile name and tag, one still running) and the API over it.
func dashboardStore(_ name: String = #function) throws -> (dir: String, tracker: Tracker, api: DashboardAPI, running: Run) {
    let dir = temporaryStore(name)
    let tracker = try Tracker(dir: dir, flushInterval: 0.05, systemMetricsInterval: nil)
    for (index, runName) in ["alpha", "<script>alert(1)</script>"].enumerated() {
        let run = try tracker.start(project: "p", name: runName, config: ["lr": .double(0.1 * Double(index + 1))],
                                    tags: index == 1 ? ["\"><img src=x onerror=window.__xss=1>"] : ["bn"])
        for step in 0..<50 { run.log(["loss": 1.0 / Double(step + 1 + index), "val_accuracy": 0.5 + 0.004 * Double(step) + 0.1 * Double(index)], step: step) }
        run.log(["loss": .nan], step: 50)
        try run.finish()
    }
    let running = try tracker.start(project: "q", name: "live", config: ["lr": .double(0.5)])
    running.log(["loss": 2, "val_accuracy": 0.1], step: 0)
    try running.flush()
    try tracker.waitUntilWritten()
    let api = DashboardAPI(store: try RunStore(directory: dir, access: .readOnly))
    return (dir, tracker, api, running)
}

func decode(_ data: Data) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

struct DashboardAPITests {
    @Test func theRunsPageFiltersSortsAndPagesAsTheCLIDoes() throws {
        let (_, _, api, running) = try dashboardStore()
        let all = try decode(try api.runsPage([:]))
        #expect(all["total"] as? Int == 3)
        let sorted = try decode(try api.runsPage(["sort": ["-val_accuracy"], "columns": ["name,val_accuracy,config.lr"]]))
        let rows = try #require(sorted["rows"] as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String } == ["<script>alert(1)</script>", "alpha", "live"])
        #expect(sorted["columns"] as? [String] == ["name", "val_accuracy", "config.lr"])
        #expect((rows[0]["cells"] as? [String])?.first == "<script>alert(1)</script>")  // text, for textContent
        let filtered = try decode(try api.runsPage(["filter": ["state=running"]]))
        #expect(filtered["total"] as? Int == 1 && (filtered["rows"] as? [[String: Any]])?.first?["id"] as? String == running.id)
        let twoFilters = try decode(try api.runsPage(["filter": ["state=finished", "val_accuracy>0.75"]]))
        #expect(twoFilters["total"] as? Int == 1)
        let page = try decode(try api.runsPage(["sort": ["name"], "offset": ["1"], "limit": ["1"]]))
        #expect(page["total"] as? Int == 3 && (page["rows"] as? [[String: Any]])?.map { $0["name"] as? String } == ["alpha"])
        #expect((all["available"] as? [String])?.contains("config.lr") == true)
    }

    @Test func badRequestsAreFourHundredsThatSayWhatToDo() throws {
        let (_, _, api, _) = try dashboardStore()
        func status(_ body: () throws -> Data) -> (Int, String)? {
            do { _ = try body(); return nil } catch let error as DashboardError { return (error.status, error.message) } catch { return (500, "\(error)") }
        }
        #expect(status { try api.runsPage(["limit": ["1000000"]]) }?.0 == 400)
        #expect(status { try api.runsPage(["limit": ["-1"]]) }?.1.contains("limit must be a whole number from 1 to 1000") == true)
        #expect(status { try api.runsPage(["offset": ["1e99"]]) }?.0 == 400)
        #expect(status { try api.runsPage(["filter": ["val_accuracy>>1"]]) }?.0 == 400)
        #expect(status { try api.runsPage(["filter": ["nosuch=1"]]) }?.1.contains("no run has \"nosuch\"") == true)
        #expect(status { try api.runsPage(["sort": ["nosuch"]]) }?.0 == 400)
        #expect(status { try api.runDetail("nope") }?.0 == 404)
        #expect(status { try api.history("nope", [:]) }?.0 == 404)
        #expect(status { try api.history("alpha", ["points": ["3"]]) }?.0 == 400)
        #expect(status { try api.histograms("alpha", ["name": ["nosuch"]]) }?.0 == 404)
        #expect(status { try api.sweepDetail("nope") }?.0 == 404)
        #expect(status { try api.importance("nope") }?.0 == 404)
    }

    @Test func historyIsDownsampledKeepingExtremesAndNaNIsNull() throws {
        let (_, _, api, _) = try dashboardStore()
        let whole = try decode(try api.history("alpha", [:]))
        let series = try #require(whole["series"] as? [String: [[Any]]])
        let loss = try #require(series["loss"])
        #expect(loss.count == 51)
        #expect(loss.last?[1] is NSNull)  // the NaN at step 50
        let small = try decode(try api.history("alpha", ["keys": ["val_accuracy"], "points": ["10"]]))
        let sampled = try #require((small["series"] as? [String: [[Double]]])?["val_accuracy"])
        #expect(Set((small["series"] as? [String: Any])?.keys.map { $0 } ?? []) == ["val_accuracy"])
        #expect(sampled.count <= 10 && sampled.count >= 6)  // at most the points asked for
        // The first and last points and the extremes survive.
        #expect(sampled.first?[0] == 0 && sampled.last?[0] == 49)
        #expect(sampled.map { $0[1] }.max() == 0.5 + 0.004 * 49)
    }

    @Test func historyAgainstTimeIsSecondsSinceTheRunStarted() throws {
        let (_, tracker, api, running) = try dashboardStore("historyAgainstTimeIsSecondsSinceTheRunStarted")
        Thread.sleep(forTimeInterval: 0.3)
        running.log(["loss": 1.5], step: 1)
        try running.flush()
        try tracker.waitUntilWritten()
        let answer = try decode(try api.history(running.id, ["x": ["time"], "keys": ["loss"]]))
        #expect(answer["x"] as? String == "time")
        let loss = try #require((answer["series"] as? [String: [[Double]]])?["loss"])
        let started = try #require(try api.store.run(running.id).createdAt), now = Date().timeIntervalSince1970
        #expect(loss.count == 2 && loss[0][0] >= 0 && loss[1][0] - loss[0][0] >= 0.25 && loss[1][0] <= now - started, "\(loss)")
        #expect(loss.map { $0[1] } == [2, 1.5])
        #expect(throws: DashboardError.badRequest("x must be step or time, not \"date\"")) { try api.history(running.id, ["x": ["date"]]) }
    }

    @Test func theAPINeverWritesTheStore() throws {
        let (dir, tracker, api, running) = try dashboardStore()
        try running.finish()
        try tracker.waitUntilWritten()
        let path = dir + "/temper.sqlite"
        let before = (contents(path), try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date, listing(dir))
        for _ in 0..<20 {
            _ = try api.runsPage(["sort": ["-loss"]])
            _ = try api.runDetail("alpha")
            _ = try api.history("alpha", [:])
            _ = try api.systemMetrics("alpha", [:])
            _ = try api.sweeps([:])
        }
        #expect(contents(path) == before.0)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == before.1)
        #expect(listing(dir) == before.2)
    }

    @Test func theChangeTokenMovesWhenARunLogs() throws {
        let (_, _, api, running) = try dashboardStore()
        let before = api.changeToken()
        #expect(api.changeToken() == before)
        running.log(["loss": 1.5], step: 1)
        try running.flush()
        #expect(api.changeToken() != before)
    }

    @Test func aRefreshAfterAChangeSeesNewRunsNewValuesAndDeletions() throws {
        let (dir, tracker, api, running) = try dashboardStore()
        #expect(try decode(try api.runsPage([:]))["total"] as? Int == 3)
        running.log(["loss": 0.25, "val_accuracy": 0.99], step: 1)
        try running.finish()
        let added = try tracker.start(project: "p", name: "newcomer", config: ["lr": .double(0.7), "depth": .int(3)])
        added.log(["loss": 0.5], step: 0)
        try added.finish()
        try tracker.waitUntilWritten()
        let page = try decode(try api.runsPage(["sort": ["-val_accuracy"], "columns": ["name,state,val_accuracy"]]))
        let rows = try #require(page["rows"] as? [[String: Any]])
        #expect(page["total"] as? Int == 4)
        #expect(rows.first?["name"] as? String == "live" && rows.first?["state"] as? String == "finished")
        #expect((rows.first?["cells"] as? [String])?.last == "0.9900")
        #expect((page["available"] as? [String])?.contains("config.depth") == true)  // a new config key
        // Runs deleted by another process: the next answer reads the store again.
        _ = try RunStore(directory: dir).delete([added.id, running.id])
        #expect(try decode(try api.runsPage([:]))["total"] as? Int == 2)
    }

    @Test func aRunLoggingWhileTheDashboardIsPolledHardLosesNothing() async throws {
        let (_, tracker, api, running) = try dashboardStore()
        let answers = Counter()
        let polling = Task.detached {
            while !Task.isCancelled {
                _ = try api.runsPage(["sort": ["-loss"]])
                _ = try api.history(running.id, ["points": ["100"]])
                _ = try api.runDetail(running.id)
                answers.increment()
            }
        }
        // Thirty flushed batches, each written while the API answers (it answers between them).
        for batch in 0..<30 {
            for step in (batch * 100 + 1)...(batch * 100 + 100) { running.log(["loss": 1 / Double(step), "val_accuracy": Double(step) / 3000], step: step) }
            try running.flush()
            let seen = answers.value
            for _ in 0..<200 where answers.value == seen { try await Task.sleep(nanoseconds: 5_000_000) }
        }
        try running.finish()
        try tracker.waitUntilWritten()
        polling.cancel()
        try await polling.value
        #expect(answers.value >= 30)
        let logged = try api.store.history(running.id, keys: ["loss", "val_accuracy"])
        #expect(logged["loss"]?.map(\.step) == Array(0...3000) && logged["val_accuracy"]?.count == 3001)
        #expect(try api.store.run(running.id).state == .finished)
    }

    /// A sweep of `count` scored trials over two parameters (the score follows `x`).
    func scoredSweep(_ dir: String, count: Int) throws -> String {
        let store = try RunStore(directory: dir)
        let sweep = try store.createSweep(project: "p", name: "s", method: "random", spec: "{}", seed: 1, specHash: "h")
        let claims = try store.claimTrials(sweep.id, count: count) { context in
            context.number < count ? TrialProposal(config: ["x": .double(Double(context.number) / Double(count)), "y": .double(Double(context.number % 7))], seed: 0) : nil
        }
        _ = try store.claimTrials(sweep.id, count: 0, results: claims.map { claim in
            RunStore.TrialResult(claim: claim, state: .finished, score: claim.trial.config["x"].flatMap(\.number), error: nil)
        }) { _ in nil }
        return sweep.id
    }

    /// A hostile review found two importance requests held both of a two-core machine's threads
    /// for 30 s. On one thread: while the forests grow, that thread answers other requests.
    @Test func importanceGrowsOffTheThreadsThatAnswerRequests() async throws {
        try await onOwnThread {
            let (dir, _, api, _) = try dashboardStore("importanceGrowsOffTheThreadsThatAnswerRequests")
            let sweep = try scoredSweep(dir, count: 40)
            let progress = Counter()
            async let answer: Data = {
                progress.increment()  // asked
                let data = try await api.importanceAnswer(sweep)
                progress.increment()  // answered
                return data
            }()
            while progress.value == 0 { await Task.yield() }
            #expect(try decode(try api.runsPage([:]))["total"] as? Int == 3)
            #expect(progress.value == 1, "the importance was computed on the thread that answers requests")
            let rows = try #require(try JSONSerialization.jsonObject(with: try await answer) as? [[String: Any]])
            #expect(rows.first?["parameter"] as? String == "x")
            // The same answer as a fresh API computes in place.
            #expect(try await answer == (try DashboardAPI(store: RunStore(directory: dir, access: .readOnly)).importance(sweep)))
            // Two trials that swap scores make another set: the answer is computed again (the
            // cache key was the count and the sum of the scores, the same for both; whole-number
            // scores keep the sums exact).
            let queue = try DatabaseQueue(path: dir + "/temper.sqlite")
            try await queue.write { db in try db.execute(sql: "UPDATE trial SET score = number WHERE sweep_id = ?", arguments: [sweep]) }
            let before = try await api.importanceAnswer(sweep)
            try await queue.write { db in
                try db.execute(sql: "UPDATE trial SET score = 39 - score WHERE sweep_id = ? AND number IN (0, 39)", arguments: [sweep])
            }
            try queue.close()
            let after = try await api.importanceAnswer(sweep)
            #expect(after != before)
            #expect(after == (try DashboardAPI(store: RunStore(directory: dir, access: .readOnly)).importance(sweep)))
        }
    }

    @Test func downsamplingKeepsShapeAndEnds() {
        let points = (0..<1000).map { (x: Double($0), y: $0 == 500 ? 100.0 : sin(Double($0) / 50)) }
        let kept = Downsampling.minMax(points, width: 100)
        #expect(kept.count <= 100 && kept.first?.x == 0 && kept.last?.x == 999)
        #expect(kept.contains { $0.y == 100 })  // the spike
        #expect(zip(kept, kept.dropFirst()).allSatisfy { $0.x < $1.x })
        #expect(Downsampling.minMax(Array(points.prefix(50)), width: 100).count == 50)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    func increment() { lock.lock(); count += 1; lock.unlock() }
}
