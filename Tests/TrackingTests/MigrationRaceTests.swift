import Foundation
import GRDB
import Testing
import ProcessSupport
@testable import Tracking

/// Several processes opening a new store at once race to migrate it: GRDB reads which migrations
/// are applied once, before it takes the write lock, so a process can find a migration it is
/// about to apply already applied by another — which may then stall (a loaded machine
/// deschedules it) before it applies the next one. The store must open all the same.
struct MigrationRaceTests {
    @Test func aStoreAnotherProcessIsHalfwayThroughMigratingOpens() throws {
        let dir = temporaryStore()
        let path = dir + "/" + RunStore.fileName
        // The other process: it commits the first migration only once this one has read that none
        // is applied (and waits for the write lock), then stalls before its next migration.
        let other = try StoreFile.openReadWrite(path: path, busyTimeout: 30)
        let opening = OpeningInBackground(directory: dir)
        let stall = StallAtFirstMigration(
            beforeCommit: { opening.start(); Thread.sleep(forTimeInterval: 1) },
            afterCommit: { Thread.sleep(forTimeInterval: 1) })
        other.add(transactionObserver: stall, extent: .databaseLifetime)
        try Schema.migrator.migrate(other, upTo: Schema.migrator.migrations[0])
        let store = try opening.result().get()
        #expect(try other.read { try Schema.migrator.hasCompletedMigrations($0) })
        let run = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "p")
        run.log(["x": 1], step: 0)
        try run.finish()
        #expect(try store.runs(project: "p").map(\.state) == [.finished])
        try other.close()
    }
}

/// Opens a read-write store on a thread of its own.
private final class OpeningInBackground: @unchecked Sendable {
    let directory: String
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<RunStore, Error>?

    init(directory: String) { self.directory = directory }

    func start() {
        Thread { [self] in
            outcome = Result { try RunStore(directory: directory) }
            done.signal()
        }.start()
    }

    func result() -> Result<RunStore, Error> {
        done.wait()
        return outcome!
    }
}

/// Calls `beforeCommit` as the first transaction that records a migration commits (the write lock
/// held), `afterCommit` once it is committed.
private final class StallAtFirstMigration: TransactionObserver, @unchecked Sendable {
    private let beforeCommit: () -> Void
    private let afterCommit: () -> Void
    private var migrating = false
    private var done = false

    init(beforeCommit: @escaping () -> Void, afterCommit: @escaping () -> Void) {
        self.beforeCommit = beforeCommit
        self.afterCommit = afterCommit
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { eventKind.tableName == "grdb_migrations" }
    func databaseDidChange(with event: DatabaseEvent) { migrating = true }
    func databaseWillCommit() throws {
        if migrating && !done { beforeCommit() }
    }
    func databaseDidCommit(_ db: Database) {
        if migrating && !done {
            done = true
            afterCommit()
        }
    }
    func databaseDidRollback(_ db: Database) { migrating = false }
}
