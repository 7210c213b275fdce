import Foundation
import GRDB
import Testing
import ProcessSupport
@testable import Tracking

/// Writes that cannot be made (a full disk, a damaged store) are reported, what was written stays,
/// and what is buffered goes in once space returns.
@Suite(.serialized)
struct FailedWriteTests {
    /// A tmpfs of `size` mounted on a new directory, unmounted by `body`'s end.
    func withSmallDisk(_ size: String, _ body: (String) throws -> Void) throws {
        let mountPoint = temporaryStore()
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", mountPoint]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0, "mount -t tmpfs failed")
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = ["-l", mountPoint]
            try? umount.run()
            umount.waitUntilExit()
        }
        try body(mountPoint)
    }

    @Test func aFullDiskFailsTheCommandAndKeepsWhatWasWritten() throws {
        guard runningAsRoot(for: "aFullDiskFailsTheCommandAndKeepsWhatWasWritten") else { return }
        try withSmallDisk("3m") { disk in
            let dir = disk + "/runs"
            let result = try runTemper(["casestudy", "batchnorm", "--variants", "after,none", "--seeds", "1", "--epochs", "5000", "--dir", dir], timeout: 600)
            #expect(result.status != 0, "exited 0 though the disk was full")
            #expect(result.errors.contains("disk full") && result.errors.contains(dir + "/temper.sqlite"), "\(result.errors)")
            #expect(!result.output.contains("logged 2 runs"))
            let store = try RunStore(directory: dir, access: .readOnly)
            let runs = try store.runs()
            // The second run is registered when it starts: if the disk filled up before (a slow,
            // loaded machine), its registration failed and only the first run is there.
            #expect((1...2).contains(runs.count), "\(runs.count)")
            #expect(runs.allSatisfy { $0.state == .failed || $0.state == .crashed }, "\(runs.map(\.state))")
            // Marking a run failed is itself a write: with the disk still full it may not land (the
            // run then reads as crashed). A run that is marked failed says why.
            #expect(runs.filter { $0.state == .failed }.allSatisfy { $0.error?.contains("disk full") == true }, "\(runs.map(\.error))")
            // What was written before the disk filled up is there and whole: steps 1…n.
            let first = try #require(runs.first { $0.name == "after-seed1" })
            let steps = try store.history(first.id, keys: ["loss"])["loss"]?.map(\.step) ?? []
            #expect(!steps.isEmpty && steps == Array(1...steps.count))
        }
    }

    @Test func rowsBufferedWhileTheDiskIsFullAreWrittenWhenSpaceReturns() throws {
        guard runningAsRoot(for: "rowsBufferedWhileTheDiskIsFullAreWrittenWhenSpaceReturns") else { return }
        try withSmallDisk("4m") { disk in
            let warnings = Warnings()
            let tracker = try Tracker(dir: disk + "/runs", flushInterval: 0.05, systemMetricsInterval: nil, warnings: { warnings.append($0) })
            let run = try tracker.start(project: "full", name: "patient")
            run.log(["x": 0], step: 0)
            try run.flush()
            // Fill the disk.
            let filler = disk + "/filler"
            _ = FileManager.default.createFile(atPath: filler, contents: nil)
            let handle = try #require(FileHandle(forWritingAtPath: filler))
            let chunk = Data(repeating: 7, count: 16_384)
            while (try? handle.write(contentsOf: chunk)) != nil {}
            try handle.close()
            let steps = 1...600
            for step in steps {
                run.log(["x": Double(step)], step: step)
                run.logHistogram(name: "h", values: (0..<500).map { Double($0 * step) }, step: step)
            }
            #expect(throws: (any Error).self) { try run.flush() }
            #expect(warnings.all.contains { $0.contains("disk full") && $0.contains("retrying") })
            // Space returns: everything buffered goes in, in pieces, and the run finishes.
            try FileManager.default.removeItem(atPath: filler)
            try run.finish()
            let store = try RunStore(directory: disk + "/runs", access: .readOnly)
            #expect(try store.history(run.id)["x"]?.map(\.step) == [0] + Array(steps))
            #expect(try store.histograms(run.id)["h"]?.count == steps.count)
            #expect(try store.run(run.id).state == .finished)
            try tracker.waitUntilWritten()
            #expect(warnings.all.contains { $0.contains("written to") && $0.contains("again") })
        }
    }

    @Test func aDamagedStoreFailsTheCommandNamingIt() throws {
        let dir = try storeWrittenByAnotherProcess()
        let path = dir + "/temper.sqlite"
        // Damage the page that holds the run table: registering a new run then fails.
        let (root, pageSize) = try DatabaseQueue(path: path).read { db in
            (try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'run'") ?? 0, try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096)
        }
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64((root - 1) * pageSize))
        try handle.write(contentsOf: Data(repeating: 0xFF, count: pageSize))
        try handle.close()
        let result = try runTemper(["casestudy", "batchnorm", "--variants", "after", "--seeds", "1", "--epochs", "3", "--dir", dir])
        #expect(result.status != 0)
        #expect(result.errors.contains("damaged") && result.errors.contains(path), "\(result.errors)")
        #expect(!result.output.contains("logged 1 runs"))
    }

    @Test func aRunFinishedWithoutWaitingReportsItsFailedWriteToTheTracker() throws {
        let dir = try storeWrittenByAnotherProcess()
        let warnings = Warnings()
        let tracker = try Tracker(dir: dir, flushInterval: 0.05, systemMetricsInterval: nil, warnings: { warnings.append($0) })
        let run = try tracker.start(project: "p", name: "doomed")
        run.log(["x": 1], step: 1)
        // Make the store unwritable from under the run: its writes now fail (a read-only file
        // system, a revoked permission … behave alike).
        try tracker.store.write { db in try db.execute("CREATE TRIGGER no_history BEFORE INSERT ON history BEGIN SELECT RAISE(FAIL, 'no space'); END") }
        try run.finish(wait: false)
        #expect { try tracker.waitUntilWritten() } throws: { error in
            "\(error)".contains("doomed") && "\(error)".contains(dir + "/temper.sqlite") && "\(error)".contains("were lost")
        }
        #expect(tracker.writeFailures.count == 1)
        // The run is marked, not left running.
        #expect(try RunStore(directory: dir, access: .readOnly).run(run.id).state == .failed)
    }
}

/// Warnings a tracker told, collected.
final class Warnings: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return messages
    }
    func append(_ message: String) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }
}
