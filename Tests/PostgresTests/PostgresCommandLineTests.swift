import Dashboard
import Foundation
import ProcessSupport
import Testing
import Tracking
import TrackingPostgres

/// `temper` and the dashboard on a PostgreSQL store, as a user runs them.
@Suite struct PostgresCommandLineTests {
    init() { PostgresEngine.register() }

    @Test func theCaseStudyLogsToPostgresAndNoPasswordIsRecordedOrShown() throws {
        let url = try TestPostgres.shared().database()
        let result = try runTemper(["casestudy", "batchnorm", "--store", url, "--seeds", "1", "--epochs", "3", "--variants", "none,after"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(!result.output.contains(TestPostgres.password) && result.output.contains("logged 2 runs to postgres://temper:***@"), "\(result.output)")
        let store = try RunStore(location: url, access: .readOnly)
        let runs = try store.runs()
        #expect(runs.count == 2 && runs.allSatisfy { $0.state == .finished && $0.summary["val_accuracy"]?.count == 3 })
        #expect(runs.allSatisfy { !$0.command.contains(TestPostgres.password) && $0.command.contains("temper:***@127.0.0.1") }, "\(runs.map(\.command))")
        // TEMPER_STORE names the store when no option does.
        let listed = try runTemper(["runs", "--columns", "val_accuracy"], environment: ["TEMPER_STORE": url])
        #expect(listed.status == 0 && listed.output.contains("2 runs in postgres://temper:***@"), "\(listed.output) \(listed.errors)")
        // Without a password in the URL, PGPASSWORD gives it (as to psql); without either, a clear error.
        let bare = url.replacingOccurrences(of: ":\(TestPostgres.password)@", with: "@")
        let fromEnvironment = try runTemper(["runs", "--store", bare], environment: ["PGPASSWORD": TestPostgres.password])
        #expect(fromEnvironment.status == 0 && fromEnvironment.output.contains("2 runs"), "\(fromEnvironment.errors)")
        let none = try runTemper(["runs", "--store", bare], environment: [:])
        #expect(none.status != 0 && none.errors.contains("password"), "\(none.errors)")
        // --store given wins over TEMPER_STORE.
        let local = temporaryStore()
        let elsewhere = try runTemper(["runs", "--store", local], environment: ["TEMPER_STORE": url])
        #expect(elsewhere.status != 0 && elsewhere.errors.contains(local), "\(elsewhere.output) \(elsewhere.errors)")
    }

    @Test func passwordsAreRedactedFromCommandLines() {
        #expect(StoreLocation.redactingPasswords("temper runs --store postgres://me:s3cr%40t@db:5432/x?sslmode=disable --dir postgresql://u:p@h/d")
            == "temper runs --store postgres://me:***@db:5432/x?sslmode=disable --dir postgresql://u:***@h/d")
        #expect(StoreLocation.redactingPasswords("postgres://me@db/x and https://example.org/a:b@c") == "postgres://me@db/x and https://example.org/a:b@c")
        #expect(StoreLocation.redactingPasswords("'--store=postgres://a:b@c'") == "'--store=postgres://a:***@c'")
    }

    @Test func theDashboardReadsAPostgresStoreAndSeesChanges() throws {
        let url = try TestPostgres.shared().database()
        let tracker = try Tracker(dir: url, systemMetricsInterval: nil)
        let first = try tracker.start(project: "p", name: "one")
        first.log(["loss": 0.5], step: 0)
        try first.finish()
        let api = DashboardAPI(store: try RunStore(location: url, access: .readOnly))
        let before = api.changeToken()
        #expect(api.changeToken() == before)
        let page = String(decoding: try api.runsPage([:]), as: UTF8.self)
        #expect(page.contains("\"one\"") && !page.contains("\"two\""), "\(page)")
        let second = try tracker.start(project: "p", name: "two")
        second.log(["loss": 0.25], step: 0)
        try second.finish()
        #expect(api.changeToken() != before)
        let after = String(decoding: try api.runsPage([:]), as: UTF8.self)
        #expect(after.contains("\"two\""), "\(after)")
        let history = String(decoding: try api.history(second.id, [:]), as: UTF8.self)
        #expect(history.contains("0.25"), "\(history)")
    }
}
