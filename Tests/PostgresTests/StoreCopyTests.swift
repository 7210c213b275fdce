import Foundation
import ProcessSupport
import Testing
import Tracking
import TrackingPostgres

/// `temper store copy` between SQLite and PostgreSQL: nothing lost, nothing changed.
@Suite struct StoreCopyTests {
    init() { PostgresEngine.register() }

    /// Every stored row of every table, in an order both engines give alike.
    private func dump(_ store: RunStore) throws -> [String: [[StoreValue]]] {
        let queries = [
            "sweep": "SELECT id, project, name, method, config, state, created_at, seed, spec_hash, ended_at FROM sweep ORDER BY id",
            "trial": "SELECT sweep_id, number, config, seed, state, attempt, score, error, claimed_at, heartbeat_at, ended_at, host, pid, boot_id, process_start FROM trial ORDER BY sweep_id, number",
            "run": "SELECT id, project, name, group_name, tags, notes, config, state, error, created_at, ended_at, heartbeat_at, host, command, git_commit, sweep_id, trial, pid, boot_id, process_start FROM run ORDER BY id",
            "history": "SELECT run_id, step, data, time FROM history ORDER BY run_id, step, data",
            "summary": "SELECT run_id, key, last, last_step, min, max, count FROM summary ORDER BY run_id, key",
            "histogram": "SELECT run_id, step, data FROM histogram ORDER BY run_id, step, data",
            "system_metric": "SELECT run_id, time, key, value FROM system_metric ORDER BY run_id, key, time",
        ]
        var tables: [String: [[StoreValue]]] = [:]
        for (table, sql) in queries {
            tables[table] = try store.engine.read { db in try db.fetch(sql, []).map(\.values) }
        }
        return tables
    }

    /// Reals compared bit for bit.
    private func identical(_ a: [[StoreValue]], _ b: [[StoreValue]]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { left, right in
            left.count == right.count && zip(left, right).allSatisfy { x, y in
                if case .real(let u) = x, case .real(let v) = y { return u.bitPattern == v.bitPattern }
                return x == y
            }
        }
    }

    private func fillSource(_ directory: String) throws {
        let tracker = try Tracker(dir: directory, systemMetricsInterval: 0.01)
        let sweep = try tracker.store.createSweep(project: "p", name: "s", method: "random", spec: "{\"method\":\"random\"}", seed: 42, specHash: "abc")
        let claims = try tracker.store.claimTrials(sweep.id, count: 3) { context in
            TrialProposal(config: ["x": .double(0.1 * Double(context.number) + 1e-17), "name": .string("n\(context.number)")], seed: UInt64.max - UInt64(context.number))
        }
        for claim in claims.prefix(2) {
            let run = try tracker.start(id: Tracker.newID(), project: "p", name: "trial-\(claim.trial.number)", config: claim.trial.config, tags: [],
                                        group: nil, sweep: (sweep.id, claim.trial.number))
            for step in 0..<25 { run.log(["loss": 1 / 3 + Double(step) * .pi, "nan": .nan, "inf": -.infinity], step: step) }
            run.logHistogram(name: "weights/dense", values: (0..<300).map { sin(Float($0)) }, step: 24)
            try run.finish()
            #expect(try tracker.store.finishTrial(claim, state: .finished, score: 1 / 7 + Double(claim.trial.number), error: nil))
        }
        let plain = try tracker.start(project: "other", name: "plain \u{1F600} 'quoted' ?", config: ["nested": ["a": [1, 2.5, "three"]]])
        plain.log(["accuracy": 0.9], step: 0)
        try plain.finish()
        try tracker.waitUntilWritten()
    }

    @Test func aStoreCopiedToPostgresAndBackIsTheSameRowForRow() throws {
        let source = temporaryStore(), back = temporaryStore()
        try fillSource(source)
        // What the source holds, read with its writer gone (which folds its log into the file).
        let before = try dump(RunStore(location: source, access: .readOnly))
        let url = try TestPostgres.shared().database()
        // `temper` hands the postgres:// store to temper-postgres.
        let copied = try runTemper(["store", "copy", "--from", source, "--to", url])
        #expect(copied.status == 0, "\(copied.errors)")
        #expect(copied.output.contains("copied 1 sweep (3 trials) and 3 runs"), "\(copied.output)")
        #expect(!copied.output.contains(TestPostgres.password), "the password is shown: \(copied.output)")
        let report = try StoreCopy.copy(from: RunStore(location: url, access: .readOnly), to: RunStore(location: back))
        #expect(report.runs == 3 && report.sweeps == 1 && report.trials == 3)
        let (original, postgres, returned) = (try dump(RunStore(location: source, access: .readOnly)), try dump(RunStore(location: url, access: .readOnly)),
                                              try dump(RunStore(location: back, access: .readOnly)))
        for table in original.keys.sorted() {
            let rows = try #require(original[table])
            #expect(!rows.isEmpty, "\(table) is empty: the test copies nothing of it")
            #expect(identical(rows, postgres[table] ?? []), "\(table) differs in PostgreSQL")
            #expect(identical(rows, returned[table] ?? []), "\(table) differs after the round trip")
        }
        let after = try dump(RunStore(location: source, access: .readOnly))
        #expect(before.keys.allSatisfy { identical(before[$0] ?? [], after[$0] ?? []) }, "the source changed")
        // Again: everything is there already.
        let again = try runTemper(["store", "copy", "--from", source, "--to", url])
        #expect(again.status == 0 && again.output.contains("copied 0 sweeps (0 trials) and 0 runs") && again.output.contains("skipped 1 sweeps and 3 runs"), "\(again.output)")
        #expect(identical(try dump(RunStore(location: url, access: .readOnly))["history"] ?? [], original["history"] ?? []))
    }

    @Test func aRunCopiedWhileItRanIsCopiedAgainOnceItEnded() throws {
        let source = temporaryStore()
        let tracker = try Tracker(dir: source, systemMetricsInterval: nil)
        let run = try tracker.start(project: "p", name: "live")
        run.log(["loss": 1], step: 0)
        try run.flush()
        let url = try TestPostgres.shared().database()
        let first = try StoreCopy.copy(from: RunStore(location: source, access: .readOnly), to: RunStore(location: url))
        let copiedFirst = try RunStore(location: url, access: .readOnly).run(run.id).summary["loss"]?.count
        #expect(first.runs == 1 && copiedFirst == 1)
        for step in 1..<5 { run.log(["loss": Double(step)], step: step) }
        try run.finish()
        let second = try StoreCopy.copy(from: RunStore(location: source, access: .readOnly), to: RunStore(location: url))
        #expect(second.runs == 1 && second.skippedRuns == 0)
        let copied = try RunStore(location: url, access: .readOnly)
        #expect(try copied.run(run.id).state == .finished && copied.history(run.id)["loss"]?.count == 5 && copied.runCount() == 1)
        // Once ended in both, it is left alone.
        #expect(try StoreCopy.copy(from: RunStore(location: source, access: .readOnly), to: RunStore(location: url)).skippedRuns == 1)
    }

    @Test func aStoreOfAnOlderSchemaIsCopied() throws {
        let source = temporaryStore()
        let tracker = try Tracker(dir: source, systemMetricsInterval: nil)
        let run = try tracker.start(project: "p", name: "old")
        for step in 0..<3 { run.log(["loss": Double(step)], step: step) }
        try run.finish()
        // What a Temper before schema v4 left: no time per history row.
        try tracker.store.engine.write { db in
            try db.execute("ALTER TABLE history DROP COLUMN time", [])
            try db.execute("DELETE FROM grdb_migrations WHERE identifier LIKE 'v4%'", [])
        }
        let url = try TestPostgres.shared().database()
        let report = try StoreCopy.copy(from: RunStore(location: source, access: .readOnly), to: RunStore(location: url))
        #expect(report.runs == 1)
        let copied = try RunStore(location: url, access: .readOnly)
        #expect(try copied.history(run.id)["loss"]?.map(\.value) == [0, 1, 2] && copied.stepTimes(run.id).isEmpty)
    }
}
