import Foundation
import GRDB
import Testing
import ProcessSupport
import Tracking

/// A read-only store opened while no process had it open (read as an immutable file) follows the
/// file: a long-lived reader such as the dashboard sees what was logged after it opened the store.
@Suite(.serialized)
struct ReadOnlyFollowTests {
    /// Logs `steps` steps to one finished run in another process, which then exits: the store is
    /// one file no process has open. (An exiting writer can still, rarely, leave its emptied
    /// `-wal` and `-shm` when its pool is freed on another thread as the process exits; these
    /// tests are about the reader, so SQLite folds them back: a connection opened and closed.)
    func logInAnotherProcess(_ dir: String, steps: Int) throws {
        let (process, output) = try launchTemper(program: "TrackingProbe", ["--dir", dir, "--steps", String(steps), "--finish"], mergingErrors: true)
        _ = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        if FileManager.default.fileExists(atPath: dir + "/temper.sqlite-wal") {
            try DatabaseQueue(path: dir + "/temper.sqlite").close()
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["temper.sqlite"])
    }

    /// A hostile review found the dashboard, started on an idle store, never saw a later run.
    @Test func aReaderOpenedOnAnIdleStoreSeesRunsLoggedLater() throws {
        let dir = temporaryStore()
        try logInAnotherProcess(dir, steps: 5)
        #expect(!FileManager.default.fileExists(atPath: dir + "/temper.sqlite-wal"))
        let reader = try RunStore(directory: dir, access: .readOnly)
        #expect(try reader.runs().count == 1)
        // A writer that came and went: the file changed, no log is left.
        try logInAnotherProcess(dir, steps: 5)
        #expect(try reader.runs().count == 2)
        // A writer that is still logging (its log beside the file).
        let tracker = try Tracker(dir: dir, flushInterval: 0.05, systemMetricsInterval: nil)
        let run = try tracker.start(project: "live")
        run.log(["loss": 1], step: 0)
        try run.flush()
        try tracker.waitUntilWritten()
        #expect(try reader.runs().count == 3)
        #expect(try reader.history(run.id)["loss"]?.count == 1)
        try run.finish()
    }

    /// Reading a damaged store with no writer leaves nothing beside it (it left `-wal` and `-shm`).
    @Test func readingADamagedStoreLeavesNoFilesBesideIt() throws {
        let dir = temporaryStore()
        try logInAnotherProcess(dir, steps: 3000)
        let path = dir + "/temper.sqlite"
        let reader = try RunStore(directory: dir, access: .readOnly)
        let id = try #require(try reader.runs().first?.id)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        for page in stride(from: data.count / 2, to: data.count - 64, by: 4096) {
            for i in page..<(page + 64) { data[i] = 0xDE }
        }
        try data.write(to: URL(fileURLWithPath: path))
        #expect { _ = try RunStore(directory: dir, access: .readOnly).histograms(id) } throws: { error in
            guard case TrackingError.corruptStore = error else { return false }
            return true
        }
        let beside = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0 != "temper.sqlite" }
        #expect(beside.isEmpty, "\(beside)")
    }
}
