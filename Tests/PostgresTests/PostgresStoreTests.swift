import Foundation
import ProcessSupport
import Testing
import Tracking
import TrackingPostgres

/// The run store on a real PostgreSQL server: the same behaviour as the SQLite store.
@Suite struct PostgresStoreTests {
    init() { PostgresEngine.register() }

    /// Logs the same run (metrics with NaN and infinity, histograms, system metrics) to `tracker`.
    private func logRun(_ tracker: Tracker) throws -> String {
        let run = try tracker.start(project: "p", name: "r", config: ["lr": 0.01, "layers": 3, "name": "x"], tags: ["a", "b"])
        for step in 0..<40 {
            run.log(["loss": 1 / Double(step + 1), "odd": step == 7 ? .nan : (step == 9 ? .infinity : Double(step) * 0.1)], step: step)
            if step % 10 == 0 { run.logHistogram(name: "w", values: (0..<200).map { Float($0 - step) / 7 }, step: step) }
        }
        run.log(["loss": 0.5], step: 39)  // a key logged twice at a step keeps its later value
        try run.finish()
        return run.id
    }

    @Test func aRunReadsBackAsFromTheSQLiteStore() throws {
        let url = try TestPostgres.shared().database()
        let sqlite = try Tracker(dir: temporaryStore(), systemMetricsInterval: 0.01)
        let postgres = try Tracker(dir: url, systemMetricsInterval: 0.01)
        let (a, b) = (try logRun(sqlite), try logRun(postgres))
        let (left, right) = (try sqlite.store.run(a), try postgres.store.run(b))
        #expect(right.state == .finished && right.config == left.config && right.tags == ["a", "b"])
        #expect(Set(right.summary.keys) == ["loss", "odd"])
        for key in ["loss", "odd"] {
            let (l, r) = (try #require(left.summary[key]), try #require(right.summary[key]))
            #expect(l.last == r.last && l.min == r.min && l.max == r.max && l.count == r.count && l.lastStep == r.lastStep, "\(key): \(l) vs \(r)")
        }
        #expect(right.summary["odd"]?.max == .infinity && right.summary["loss"]?.last == 0.5)
        let (hl, hr) = (try sqlite.store.history(a), try postgres.store.history(b))
        for key in ["loss", "odd"] {
            let (l, r) = (try #require(hl[key]), try #require(hr[key]))
            #expect(l.map(\.step) == r.map(\.step) && zip(l, r).allSatisfy { $0.value.bitPattern == $1.value.bitPattern }, "\(key)")
        }
        #expect(hr["odd"]?[7].value.isNaN == true && hr["odd"]?[9].value == .infinity)
        let (gl, gr) = (try sqlite.store.histograms(a), try postgres.store.histograms(b))
        #expect(gr["w"]?.map(\.step) == [0, 10, 20, 30] && gr["w"]?.map(\.histogram) == gl["w"]?.map(\.histogram))
        #expect(try postgres.store.histogramNames(b) == ["w"])
        #expect(try postgres.store.stepTimes(b).count == 40)
        #expect(try !postgres.store.systemMetrics(b).isEmpty)
        #expect(try postgres.store.run(String(b.prefix(6))).id == b && postgres.store.projects() == ["p"])
        #expect(try postgres.store.delete([b]) == 1 && postgres.store.runCount() == 0)
    }

    @Test func manyProcessesMayOpenANewStoreAtOnce() throws {
        let server = try TestPostgres.shared()
        let url = try server.database()
        let errors = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            do { _ = try RunStore(location: url) } catch { errors.add(error) }
        }
        #expect(errors.all.isEmpty, "\(errors.all)")
        let database = try #require(url.split(separator: "/").last?.split(separator: "?").first).description
        #expect(try server.sql("SELECT count(*) FROM temper_migrations", database: database).trimmingCharacters(in: .whitespacesAndNewlines) == "4")
    }

    @Test func badLocationsAreClearErrorsAndChangeNothing() throws {
        let server = try TestPostgres.shared()
        let url = try server.database()
        let database = String(try #require(url.split(separator: "/").last?.split(separator: "?").first))
        func refusal(_ location: String, access: RunStore.Access = .readWrite) -> String {
            do {
                _ = try RunStore(location: location, access: access)
                return "opened"
            } catch {
                return "\(error)"
            }
        }
        // Nothing listens on a port that was just free.
        let closed = refusal("postgres://temper:x@127.0.0.1:1/nothing?sslmode=disable")
        #expect(closed.contains("no PostgreSQL server answers at 127.0.0.1:1"), "\(closed)")
        let wrongPassword = refusal(server.url(database: database, password: "wrong"))
        #expect(wrongPassword.contains("refused user \"temper\"") && !wrongPassword.contains("wrong"), "\(wrongPassword)")
        let missing = refusal(server.url(database: "no_such_db"))
        #expect(missing.contains("database \"no_such_db\" does not exist"), "\(missing)")
        #expect(refusal("postgres://127.0.0.1/db?sslmode=sometimes").contains("sslmode \"sometimes\" is not one of"))
        #expect(refusal("mysql://127.0.0.1/db").contains("unknown store scheme \"mysql://\""))
        // Read-only, an empty database is not a store, and nothing is created in it.
        #expect(refusal(url, access: .readOnly).contains("an empty database, not a Temper run store"))
        #expect(try server.sql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", database: database).hasPrefix("0"))
        // Another program's database.
        try server.sql("CREATE TABLE accounts (id int)", database: database)
        let foreign = refusal(url)
        #expect(foreign.contains("holds another program's tables (accounts)"), "\(foreign)")
        #expect(try server.sql("SELECT string_agg(table_name, ',') FROM information_schema.tables WHERE table_schema = 'public'", database: database)
            .trimmingCharacters(in: .whitespacesAndNewlines) == "accounts")
        // A store of a newer Temper.
        let newer = try server.database()
        let newerName = String(try #require(newer.split(separator: "/").last?.split(separator: "?").first))
        _ = try RunStore(location: newer)
        try server.sql("INSERT INTO temper_migrations VALUES ('v9: a newer Temper', 0)", database: newerName)
        for access in [RunStore.Access.readWrite, .readOnly] {
            let refused = refusal(newer, access: access)
            #expect(refused.contains("has a schema this version of Temper does not know (migrations: v9: a newer Temper)"), "\(refused)")
        }
        #expect(try server.sql("SELECT count(*) FROM temper_migrations", database: newerName).hasPrefix("5"))
    }

    @Test func urlsAreReadAsLibpqReadsThem() throws {
        let server = try TestPostgres.shared()
        // A user whose password holds every character a URL must escape, and a percent sign.
        let role = "pct_\(UUID().uuidString.prefix(6).lowercased())", password = "50%off/#@:?x"
        try server.sql("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'")
        let database = "db_\(role)"
        try server.sql("CREATE DATABASE \(database) OWNER \(role)")
        let encoded = try #require(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let store = try RunStore(location: "postgres://\(role):\(encoded)@127.0.0.1:\(server.port)/\(database)?sslmode=disable")
        #expect(try store.runCount() == 0 && !store.path.contains("off") && store.path.contains("\(role):***@"))
        // An IPv6 address is the host without its brackets (nothing listens on port 1).
        do {
            _ = try RunStore(location: "postgres://u:p@[::1]:1/db?sslmode=disable")
            Issue.record("opened a store on port 1")
        } catch {
            #expect("\(error)".contains("no PostgreSQL server answers at ::1:1") && !"\(error)".contains("DNS"), "\(error)")
        }
        // A password in the query is never shown; a URL that is not one is an error, not a directory.
        for (location, expected) in [("postgres://u@127.0.0.1/db?password=s3cret", "unknown parameter \"password\""),
                                     ("postgres://u:pa/s3cret@127.0.0.1/db", "the store URL given is not a valid URL"),
                                     ("postgres://u:s3cret@127.0.0.1:port/db", "the store URL given is not a valid URL"),
                                     (" postgres://u:s3cret@127.0.0.1/db", "the store URL given is not a valid URL"),
                                     ("postgres:/u:s3cret@127.0.0.1/db", "the store URL given is not a valid URL"),
                                     ("POSTGRESQL:u:s3cret@127.0.0.1/db", "the store URL given is not a valid URL")] {
            let folder = temporaryStore()
            let result = try runTemper(["runs", "--store", location], environment: ["TEMPER_DIR": folder])
            #expect(result.status != 0 && result.errors.contains(expected) && !result.errors.contains("s3cret"), "\(location): \(result.errors)")
            #expect(listing(folder).isEmpty && !FileManager.default.fileExists(atPath: "postgres:"), "\(location) made a store")
            // A command that writes refuses it too (it made a folder named with the password).
            let written = try runTemper(["casestudy", "batchnorm", "--store", location, "--seeds", "1", "--epochs", "1", "--variants", "none"])
            #expect(written.status != 0 && !written.errors.contains("s3cret") && !written.output.contains("s3cret"), "\(location): \(written.output)")
            #expect(!FileManager.default.fileExists(atPath: " postgres:") && !FileManager.default.fileExists(atPath: "postgres:"), "\(location) made a folder")
        }
    }

    @Test func commandsThatNeedAStoreCreateNothingInAnEmptyDatabase() throws {
        let server = try TestPostgres.shared()
        let url = try server.database()
        let name = String(try #require(url.split(separator: "/").last?.split(separator: "?").first))
        for arguments in [["runs", "delete", "abc", "--yes"], ["agent", "abc"], ["sweep", "resume", "abc"]] {
            let result = try runTemper(arguments + ["--store", url])
            #expect(result.status != 0 && result.errors.contains("an empty database, not a Temper run store"), "\(arguments): \(result.errors)")
        }
        #expect(try server.sql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", database: name).hasPrefix("0"))
    }

    @Test func processesStartingTheSameSweepAtOnceGetOne() throws {
        let url = try TestPostgres.shared().database()
        let found = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            do {
                let (sweep, _) = try RunStore(location: url).findOrCreateSweep(project: "p", name: "s", method: "random", spec: "{}", seed: 3,
                                                                              specHash: "same", resume: true)
                found.add(sweep.id)
            } catch {
                found.add(error)
            }
        }
        #expect(found.all.isEmpty && Set(found.ids).count == 1 && found.ids.count == 6, "\(found.ids) \(found.all)")
        #expect(try RunStore(location: url, access: .readOnly).sweeps().count == 1)
    }

    @Test func theChangeTokenIgnoresOtherDatabases() throws {
        let server = try TestPostgres.shared()
        let watched = try RunStore(location: try server.database(), access: .readWrite)
        let other = try Tracker(dir: try server.database(), systemMetricsInterval: nil)
        let before = try watched.changeToken()
        let run = try other.start(project: "p", name: "elsewhere")
        run.log(["loss": 1], step: 0)
        try run.finish()
        #expect(try watched.changeToken() == before)
        _ = try watched.createSweep(project: "p", name: "s", method: "grid", spec: "{}", seed: 1, specHash: "h")
        #expect(try watched.changeToken() != before)
    }

    @Test func agentsNeverTakeTheSameTrial() throws {
        let url = try TestPostgres.shared().database()
        let sweep = try RunStore(location: url).createSweep(project: "p", name: "s", method: "random", spec: "{}", seed: 7, specHash: "h")
        let taken = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            do {
                let store = try RunStore(location: url)
                while let claim = try store.claimTrial(sweep.id, propose: { $0.number < 40 ? TrialProposal(config: ["x": .int($0.number)], seed: UInt64($0.number * 3)) : nil }) {
                    taken.add(claim.trial.number)
                    #expect(try store.finishTrial(claim, state: .finished, score: Double(claim.trial.number), error: nil))
                }
            } catch {
                taken.add(error)
            }
        }
        #expect(taken.numbers.sorted() == Array(0..<40) && taken.all.isEmpty, "\(taken.all)")
        let trials = try RunStore(location: url, access: .readOnly).trials(sweep.id)
        #expect(trials.map(\.number) == Array(0..<40) && trials.allSatisfy { $0.state == .finished && $0.attempt == 1 && $0.score == Double($0.number) })
        #expect(trials.allSatisfy { $0.seed == UInt64($0.number * 3) && $0.config["x"] == .int($0.number) })
    }

    @Test func aTrialWithoutHeartbeatIsHandedOutAgainAndItsLateResultIgnored() throws {
        let url = try TestPostgres.shared().database()
        let first = try RunStore(location: url)
        let sweep = try first.createSweep(project: "p", name: "s", method: "random", spec: "{}", seed: 1, specHash: "h")
        let propose: (RunStore.ClaimContext) -> TrialProposal? = { $0.number == 0 ? TrialProposal(config: ["x": 0.25], seed: 99) : nil }
        let lost = try #require(try first.claimTrial(sweep.id, propose: propose))
        // Another agent that judges a claim dead after 0.3 s without a heartbeat.
        let second = try RunStore(location: url, staleAfter: 0.3)
        #expect(try second.claimTrial(sweep.id, propose: propose) == nil)
        Thread.sleep(forTimeInterval: 0.5)
        let again = try #require(try second.claimTrial(sweep.id, propose: propose))
        #expect(again.trial.number == 0 && again.trial.attempt == 2 && again.trial.seed == 99 && again.trial.config == ["x": 0.25])
        #expect(try !first.heartbeat(lost) && !first.finishTrial(lost, state: .finished, score: 1, error: nil))
        #expect(try second.finishTrial(again, state: .finished, score: 2, error: nil))
        let trial = try #require(try first.trials(sweep.id).first)
        #expect(trial.state == .finished && trial.score == 2 && trial.attempt == 2)
    }
}

/// Collects results and errors from concurrent work.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [String] = []
    private var values: [Int] = []
    private var strings: [String] = []
    func add(_ id: String) { lock.withLock { strings.append(id) } }
    var ids: [String] { lock.withLock { strings } }
    func add(_ error: any Error) { lock.withLock { errors.append("\(error)") } }
    func add(_ number: Int) { lock.withLock { values.append(number) } }
    var all: [String] { lock.withLock { errors } }
    var numbers: [Int] { lock.withLock { values } }
}
