import Foundation
import GRDB
import Testing
@testable import Tracking

/// A store written by another `temper` process (so that its files are closed when the test starts):
/// one case-study run of 3 epochs.
func storeWrittenByAnotherProcess(_ dir: String = temporaryStore()) throws -> String {
    let result = try runTemper(["casestudy", "batchnorm", "--variants", "after", "--seeds", "1", "--epochs", "3", "--dir", dir])
    try #require(result.status == 0, "\(result.errors)")
    return dir
}

/// No command writes over the store, and reading commands never change, create or migrate what
/// they read.
@Suite(.serialized)
struct StoreSafetyTests {
    @Test func noCommandWritesOverTheStoreOrItsCompanionFiles() throws {
        let dir = try storeWrittenByAnotherProcess()
        let store = dir + "/temper.sqlite"
        let before = contents(store)
        let link = temporaryStore() + "/report.html"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: store)
        let other = try storeWrittenByAnotherProcess()
        let attempts: [[String]] = [
            ["report", "--dir", dir, "--out", store],
            ["report", "--dir", dir, "--out", link],
            ["report", "--dir", dir, "--out", dir + "/../" + (dir as NSString).lastPathComponent + "/temper.sqlite-shm"],
            ["runs", "export", "--dir", dir, "--out", store],
            ["runs", "export", "--dir", dir, "--out", store + "-wal"],
            ["runs", "export", "--dir", dir, "--format", "json", "--out", other + "/temper.sqlite"],
            ["casestudy", "batchnorm", "--variants", "after", "--seeds", "1", "--epochs", "2", "--dir", dir, "--json", store],
            ["casestudy", "batchnorm", "--variants", "after", "--seeds", "1", "--epochs", "2", "--no-track", "--json", other + "/temper.sqlite"],
        ]
        for arguments in attempts {
            let result = try runTemper(arguments)
            #expect(result.status != 0, "\(arguments) exited 0")
            #expect(result.errors.contains("refusing to write"), "\(arguments): \(result.errors)")
        }
        #expect(contents(store) == before)
        #expect(OutputFile.isTemperStore(other + "/temper.sqlite"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == store)
        #expect(try RunStore(directory: dir, access: .readOnly).runs().count == 1)
    }

    @Test func anOutputIntoAMissingFolderIsOneClearLine() throws {
        let dir = try storeWrittenByAnotherProcess()
        for arguments in [["report", "--dir", dir, "--out", dir + "/no/such/report.html"], ["runs", "export", "--dir", dir, "--out", dir + "/no/x.csv"]] {
            let result = try runTemper(arguments)
            #expect(result.status != 0)
            let lines = result.errors.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("does not exist"), "\(result.errors)")
            #expect(!result.errors.contains("Domain="))
        }
    }

    @Test func readingAnotherProgramsDatabaseChangesNothing() throws {
        let dir = temporaryStore(), path = dir + "/temper.sqlite"
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL); INSERT INTO invoices VALUES (1, 9.5)") }
        try queue.close()
        let before = contents(path), files = listing(dir)
        for arguments in [["runs", "--dir", dir], ["run", "show", "--dir", dir, "x"], ["runs", "export", "--dir", dir], ["report", "--dir", dir, "--out", temporaryStore() + "/r.html"]] {
            let result = try runTemper(arguments)
            #expect(result.status != 0 && result.errors.contains("not a Temper run store"), "\(arguments): \(result.errors)")
        }
        // Not switched to WAL, no table added or dropped, no journal or -shm left beside it.
        #expect(contents(path) == before)
        #expect(listing(dir) == files)
    }

    @Test func anEmptyFileStaysEmptyAndIsNoStore() throws {
        let dir = temporaryStore(), path = dir + "/temper.sqlite"
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        let result = try runTemper(["runs", "--dir", dir])
        #expect(result.status != 0 && result.errors.contains("empty file"), "\(result.errors)")
        #expect(contents(path).isEmpty && listing(dir) == ["temper.sqlite"])
    }

    @Test func aLinkToDevNullIsNoStoreAndCreatesNothingBesideIt() throws {
        let dir = temporaryStore()
        try FileManager.default.createSymbolicLink(atPath: dir + "/temper.sqlite", withDestinationPath: "/dev/null")
        try? FileManager.default.removeItem(atPath: "/dev/null-journal")
        for arguments in [["runs", "--dir", dir], ["casestudy", "batchnorm", "--variants", "after", "--seeds", "1", "--epochs", "1", "--dir", dir]] {
            let result = try runTemper(arguments)
            #expect(result.status != 0 && result.errors.contains("not a regular file"), "\(arguments): \(result.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/dev/null-journal"))
        #expect(listing(dir) == ["temper.sqlite"])
    }

    @Test func aUserWhoMayOnlyReadTheStoreCanListIt() throws {
        guard runningAsRoot(for: "aUserWhoMayOnlyReadTheStoreCanListIt") else { return }
        // Root's store, read by nobody: the directory is not nobody's to write (no -shm can be
        // made), and once the file is mode 444 not even root's tools write it.
        let dir = try storeWrittenByAnotherProcess()
        let out = temporaryStore()
        chmod(out, 0o777)
        for mode in [0o644, 0o444] as [mode_t] {
            chmod(dir + "/temper.sqlite", mode)
            let before = contents(dir + "/temper.sqlite"), files = listing(dir)
            for arguments in [["runs", "--dir", dir], ["run", "show", "--dir", dir, "after-seed1"], ["runs", "export", "--dir", dir],
                              ["report", "--dir", dir, "--out", out + "/r\(mode).html"]] {
                let result = try runTemper(arguments, asNobody: true)
                #expect(result.status == 0, "\(arguments) as nobody, mode \(String(mode, radix: 8)): \(result.errors)")
                #expect(result.output.contains("after-seed1") || result.output.contains("wrote"))
            }
            #expect(contents(dir + "/temper.sqlite") == before && listing(dir) == files)
        }
        // In a directory anyone may write, a reader leaves no -shm or -wal of its own behind (which
        // the store's owner could not then write).
        let shared = temporaryStore()
        chmod(shared, 0o777)
        _ = try storeWrittenByAnotherProcess(shared)
        let result = try runTemper(["runs", "--dir", shared], asNobody: true)
        #expect(result.status == 0 && listing(shared) == ["temper.sqlite"], "\(listing(shared)) \(result.errors)")
    }

    @Test func aReadDoesNotWaitForAWritersLock() throws {
        let dir = try storeWrittenByAnotherProcess()
        let pool = try DatabasePool(path: dir + "/temper.sqlite")
        // Hold the write lock for as long as the reader runs (before, `temper runs` migrated the
        // store and so waited the whole 30 s busy timeout).
        let result = try pool.writeWithoutTransaction { db -> TemperResult in
            try db.execute(sql: "BEGIN IMMEDIATE; UPDATE run SET notes = 'locked'")
            defer { try? db.execute(sql: "ROLLBACK") }
            return try runTemper(["runs", "--dir", dir], timeout: 15)
        }
        #expect(!result.timedOut && result.status == 0 && result.output.contains("after-seed1"), "\(result.errors)")
    }

    @Test func aRunWhoseProcessDiedIsCrashedAtOnce() throws {
        let dir = temporaryStore()
        let (process, output) = try launchTemper(["tracking-probe", "--dir", dir, "--steps", "100000", "--interval", "5"])
        // Wait until the run is registered (its first steps reported), then kill it.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("step 20") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // The heartbeat is fresh (it would take a minute to go stale), yet the process is gone.
        let run = try #require(try RunStore(directory: dir, access: .readOnly, staleAfter: 60).runs().first)
        #expect(run.state == "crashed")
        // A live run of this process stays `running`.
        let live = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "alive")
        try live.flush()
        #expect(try RunStore(directory: dir, access: .readOnly).run(live.id).state == "running")
        try live.finish()
    }
}
