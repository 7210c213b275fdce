import Foundation
import GRDB
import Testing
import ProcessSupport
import Charts
@testable import Tracking

struct RunStoreTests {
    @Test func aRunRecordsConfigMetricsHistogramsAndState() throws {
        let dir = temporaryStore()
        let tracker = try Tracker(dir: dir, systemMetricsInterval: nil)
        let run = try tracker.start(project: "p", name: "first", config: ["layer_1": 50, "optimizer": ["name": "sgd", "lr": 0.01]],
                                    tags: ["bn", "after"], group: "g", notes: "a note")
        for step in 1...5 { run.log(["loss": 1 / Double(step), "accuracy": Double(step) / 10], step: step) }
        run.log(["loss": .nan], step: 6)
        run.logHistogram(name: "parameters/dense/kernel", values: [0.5, -0.5, 0.25] as [Double], step: 1, bins: 4)
        try run.finish()
        let store = try RunStore(directory: dir)
        let info = try store.run(run.id)
        #expect(info.name == "first" && info.project == "p" && info.state == .finished && info.group == "g")
        #expect(info.tags == ["bn", "after"] && info.notes == "a note")
        #expect(info.config["optimizer"] == ["name": "sgd", "lr": 0.01])
        #expect(info.config.flattened.map(\.key) == ["layer_1", "optimizer.lr", "optimizer.name"])
        #expect(info.summary["accuracy"] == MetricSummary(last: 0.5, lastStep: 5, min: 0.1, max: 0.5, count: 5))
        #expect(info.summary["loss"]!.last.isNaN && info.summary["loss"]!.min == 0.2 && info.summary["loss"]!.max == 1)
        #expect(try store.history(run.id, keys: ["accuracy"])["accuracy"]!.map(\.step) == [1, 2, 3, 4, 5])
        let histogram = try store.histograms(run.id)["parameters/dense/kernel"]![0].histogram
        // Four bins over [−0.5, 0.5]: −0.5 in the first; 0.25 and 0.5 (the upper edge) in the last.
        #expect(histogram.counts == [1, 0, 0, 2] && histogram.edges.first == -0.5 && histogram.edges.last == 0.5)
        #expect(info.endedAt != nil && info.runtime >= 0)
        #expect(!info.host.isEmpty && !info.command.isEmpty)
        #expect(try store.run(String(run.id.prefix(5))).id == run.id)
        #expect(try store.run("first").id == run.id)
        #expect(try store.histogramNames(run.id) == ["parameters/dense/kernel"])
        #expect(throws: TrackingError.self) { try store.run("zzzzzzzz") }
    }

    @Test func valuesLoggedAfterTheEndAreNotRecorded() throws {
        let tracker = try Tracker(dir: temporaryStore(), systemMetricsInterval: nil)
        let run = try tracker.start(project: "p")
        run.log(["loss": 1], step: 1)
        try run.finish()
        run.log(["loss": 2], step: 2)
        try run.logHistograms(names: ["w"], values: [[1, 2]], step: 2)
        #expect(try tracker.store.history(run.id)["loss"]!.map(\.step) == [1])
        #expect(try tracker.store.histogramNames(run.id).isEmpty)
    }

    @Test func failedRunsKeepTheirError() throws {
        let dir = temporaryStore()
        let run = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "p")
        run.log(["loss": 1], step: 1)
        try run.fail("the loss became nan at epoch 3, step 7")
        let info = try RunStore(directory: dir).run(run.id)
        #expect(info.state == .failed && info.error == "the loss became nan at epoch 3, step 7")
        #expect(info.summary["loss"]?.last == 1)
    }

    @Test func aRunWhoseHeartbeatStopsShowsAsCrashed() throws {
        let dir = temporaryStore()
        let run = try Tracker(dir: dir, heartbeatInterval: 60, systemMetricsInterval: nil).start(project: "p")
        #expect(try RunStore(directory: dir, staleAfter: 0.3).run(run.id).state == .running)
        Thread.sleep(forTimeInterval: 0.6)
        #expect(try RunStore(directory: dir, staleAfter: 0.3).run(run.id).state == .crashed)
        #expect(try RunStore(directory: dir, staleAfter: 60).run(run.id).state == .running)
        try run.finish()
        #expect(try RunStore(directory: dir, staleAfter: 0.3).run(run.id).state == .finished)
    }

    @Test func systemMetricsAreSampled() throws {
        let dir = temporaryStore()
        let run = try Tracker(dir: dir, systemMetricsInterval: 0.2).start(project: "p")
        var x = 0.0
        let end = Date().addingTimeInterval(0.7)
        while Date() < end { x += sin(x) }  // some CPU work
        run.log(["work": x.truncatingRemainder(dividingBy: 1)], step: 0)  // keeps the work from being optimized away
        try run.finish()
        let metrics = try RunStore(directory: dir).systemMetrics(run.id)
        #expect(metrics["rss_bytes"].map { $0.count >= 2 && $0.allSatisfy { $0.value > 1_000_000 } } == true)
        // A busy thread shows: some sample is well above idle.
        #expect(metrics["cpu_percent"].map { $0.contains { $0.value > 20 } } == true, "\(metrics["cpu_percent"] ?? [])")
    }

    @Test func deletingRemovesEverything() throws {
        let dir = temporaryStore()
        let tracker = try Tracker(dir: dir, systemMetricsInterval: nil)
        let a = try tracker.start(project: "p"), b = try tracker.start(project: "q")
        a.log(["x": 1], step: 1)
        a.logHistogram(name: "h", values: [1.0], step: 1)
        try a.finish()
        try b.finish()
        let store = try RunStore(directory: dir)
        #expect(try store.projects() == ["p", "q"])
        #expect(try store.delete([a.id]) == 1)
        #expect(try store.runs().map(\.id) == [b.id])
        #expect(try store.history(a.id).isEmpty && store.histograms(a.id).isEmpty)
    }

    @Test func aFileThatIsNotADatabaseIsAnErrorAndStaysUntouched() throws {
        let dir = temporaryStore()
        let path = dir + "/temper.sqlite"
        let garbage = Data("these are my notes, not a database\n".utf8)
        try garbage.write(to: URL(fileURLWithPath: path))
        #expect { try RunStore(directory: dir) } throws: { error in
            guard case TrackingError.corruptStore(let m) = error else { return false }
            return m.contains("is not a SQLite database")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
    }

    @Test func aDamagedDatabaseIsAnError() throws {
        let dir = temporaryStore()
        let run = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "p")
        try run.finish()
        let path = dir + "/temper.sqlite"
        // Move everything from the write-ahead log into the main file first.
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        for i in 100..<112 { data[i] = 0xFF }  // the schema page's b-tree header
        try data.write(to: URL(fileURLWithPath: path))
        #expect { try RunStore(directory: dir) } throws: { error in
            guard case TrackingError.corruptStore(let m) = error else { return false }
            return m.contains("is not a readable SQLite database")
        }
    }

    @Test func anotherProgramsDatabaseIsRefused() throws {
        let dir = temporaryStore()
        let queue = try DatabaseQueue(path: dir + "/temper.sqlite")
        try queue.write { db in try db.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL); INSERT INTO invoices VALUES (1, 9.5)") }
        try queue.close()
        #expect { try RunStore(directory: dir) } throws: { error in
            guard case TrackingError.foreignStore(let m) = error else { return false }
            return m.contains("invoices")
        }
        let rows = try DatabaseQueue(path: dir + "/temper.sqlite").read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM invoices") }
        #expect(rows == 1)
    }

    @Test func theStorePathMustBeADirectory() throws {
        let file = temporaryStore() + "/a-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        #expect { try RunStore(directory: file) } throws: { "\($0)".contains("is a file, not a directory") }
        // Read-only, naming the store file itself (a common slip) says to name its folder.
        let store = temporaryStore()
        try Tracker(dir: store, systemMetricsInterval: nil).start(project: "p").finish()
        #expect { try RunStore(directory: store + "/temper.sqlite", access: .readOnly) } throws: { "\($0)".contains("is a file, not the store's folder; pass the folder that holds temper.sqlite (--dir \(store))") }
        #expect { try RunStore(directory: "", access: .readOnly) } throws: { "\($0)".contains("the store directory is empty") }
    }

    @Test func nonFiniteValuesAndRepeatedStepsRoundTrip() throws {
        let dir = temporaryStore()
        let run = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "p")
        run.log(["loss": .infinity, "weird \"key\"\n": -.infinity, "acc": 0.1], step: 1)
        run.log(["loss": .nan], step: 2)
        try run.flush()
        // A second write at step 2 (another row for the step): its values win when read back.
        run.log(["loss": 0.25, "acc": 0.3], step: 2)
        run.log(["acc": 1e-300], step: 3)
        try run.finish()
        let history = try RunStore(directory: dir).history(run.id)
        #expect(history["loss"]!.map(\.step) == [1, 2] && history["loss"]![0].value == .infinity && history["loss"]![1].value == 0.25)
        #expect(history["weird \"key\"\n"]!.map(\.value) == [-.infinity])
        #expect(history["acc"]!.map(\.value) == [0.1, 0.3, 1e-300])
        let summary = try RunStore(directory: dir).run(run.id).summary["loss"]!
        #expect(summary.last == 0.25 && summary.max == .infinity && summary.min == 0.25)
    }

    @Test func histogramsLoggedOutOfOrderAndTwiceAtAStepKeepTheLaterOne() throws {
        let dir = temporaryStore()
        let run = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "p")
        try run.logHistograms(names: ["a", "b"], values: [[0, 1, 2, 3], [5]], step: 2, bins: 2)
        #expect(throws: TrackingError.self) { try run.logHistograms(names: ["a"], values: [], step: 2) }
        #expect(throws: TrackingError.self) { try run.log(keys: ["x", "y"], values: [1], step: 2) }
        run.logHistogram(name: "a", values: [10.0, 20.0], step: 1, bins: 2)
        run.logHistogram(name: "a", values: [-1.0, -1.0, 1.0], step: 2, bins: 2)  // replaces step 2's "a"
        // Past the short-scan limit: many names at one step, one of them twice.
        let names = (0..<40).map { "h\($0)" } + ["h3"]
        try run.logHistograms(names: names, values: names.indices.map { [Float($0)] }, step: 3, bins: 1)
        try run.finish()
        let histograms = try RunStore(directory: dir).histograms(run.id)
        #expect(histograms["a"]!.map(\.step) == [1, 2])
        #expect(histograms["a"]![0].histogram == Histogram(of: [10.0, 20.0], bins: 2))
        #expect(histograms["a"]![1].histogram == Histogram(of: [-1.0, -1.0, 1.0], bins: 2))
        #expect(histograms["b"]![0].histogram.counts == [0, 1])
        #expect(histograms.keys.filter { $0.hasPrefix("h") }.count == 40)
        #expect(histograms["h3"]![0].histogram.edges == [39.5, 40.5])
    }

    @Test func anUnwaitedFinishIsSeenByReadsInTheSameProcess() throws {
        let dir = temporaryStore()
        let tracker = try Tracker(dir: dir, systemMetricsInterval: nil)
        let run = try tracker.start(project: "p")
        for step in 1...200 { run.log(["loss": Double(step)], step: step) }
        run.logHistogram(name: "h", values: (0..<1000).map { Float($0) }, step: 200, bins: 10)
        try run.finish(wait: false)
        let store = try RunStore(directory: dir)
        #expect(try store.run(run.id).state == .finished)
        #expect(try store.history(run.id)["loss"]?.count == 200)
        #expect(try store.histograms(run.id)["h"]?.first?.histogram.counts == Array(repeating: 100, count: 10))
    }

    @Test func aStoreFromAnotherTemperVersionIsRefused() throws {
        let dir = temporaryStore()
        try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "p").finish()
        let queue = try DatabaseQueue(path: dir + "/temper.sqlite")
        try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9: from the future')") }
        try queue.close()
        #expect { try RunStore(directory: dir) } throws: { error in
            guard case TrackingError.incompatibleStore(let m) = error else { return false }
            return m.contains("v9: from the future") && m.contains("--dir")
        }
    }

    @Test func eachStepRecordsWhenItWasLogged() throws {
        let dir = temporaryStore()
        let tracker = try Tracker(dir: dir, systemMetricsInterval: nil)
        let run = try tracker.start(project: "p")
        let before = Date().timeIntervalSince1970
        run.log(["loss": 1], step: 0)
        Thread.sleep(forTimeInterval: 0.3)
        try run.log(keys: ["loss", "acc"], values: [0.5, 0.9], step: 1)
        let after = Date().timeIntervalSince1970
        try run.finish()
        let times = try RunStore(directory: dir, access: .readOnly).stepTimes(run.id)
        let first = try #require(times[0]), second = try #require(times[1])
        #expect(before <= first && second <= after && second - first >= 0.25, "\(before) \(first) \(second) \(after)")
    }

    /// A store written before times were recorded (schema v3): read-only it is read as it is (no
    /// times, the history whole); opened to write, it gains the column and old steps stay timeless.
    @Test func aStoreFromBeforeStepTimesIsReadAndMigrated() throws {
        let dir = temporaryStore()
        let queue = try DatabaseQueue(path: dir + "/temper.sqlite")
        try Schema.migrator.migrate(queue, upTo: "v3: sweeps' trials")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO run (id, project, name, state, created_at, heartbeat_at, host, command) VALUES ('old12345', 'p', 'old', 'finished', 1, 1, 'h', 'c');
                INSERT INTO history (run_id, step, data) VALUES ('old12345', 0, '{"loss":2}'), ('old12345', 1, '{"loss":1}');
                """)
        }
        try queue.close()
        let reader = try RunStore(directory: dir, access: .readOnly)
        #expect(try reader.stepTimes("old12345").isEmpty)
        #expect(try reader.history("old12345")["loss"]?.map(\.value) == [2, 1])
        let tracker = try Tracker(dir: dir, systemMetricsInterval: nil)
        let run = try tracker.start(project: "p")
        run.log(["loss": 3], step: 0)
        try run.finish()
        let store = try RunStore(directory: dir)
        #expect(try store.stepTimes("old12345").isEmpty && store.stepTimes(run.id).keys.sorted() == [0])
    }

    @Test func defaultDirectoryFollowsTheEnvironment() {
        #expect(RunStore.defaultDirectory(nil, environment: [:]) == "temper-runs")
        #expect(RunStore.defaultDirectory(nil, environment: ["TEMPER_DIR": "/x"]) == "/x")
        #expect(RunStore.defaultDirectory("/y", environment: ["TEMPER_DIR": "/x"]) == "/y")
    }
}
