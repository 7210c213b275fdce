import Foundation
import Charts
import GRDB
import Testing
import ProcessSupport
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
        let files = listing(shared)
        let result = try runTemper(["runs", "--dir", shared], asNobody: true)
        #expect(result.status == 0 && listing(shared) == files, "\(listing(shared)) \(result.errors)")
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
        let (process, output) = try launchTemper(program: "TrackingProbe", ["--dir", dir, "--steps", "100000", "--interval", "5"])
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
        #expect(run.state == .crashed)
        // A live run of this process stays `running`.
        let live = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "alive")
        try live.flush()
        #expect(try RunStore(directory: dir, access: .readOnly).run(live.id).state == .running)
        try live.finish()
    }
}

/// Outputs to devices, pipes, links and directories; stores that belong to another user or
/// another program; what a hostile store holds.
@Suite(.serialized)
struct OutputTargetTests {
    @Test func devicesAndPipesAreWrittenThroughNeverReplaced() throws {
        guard runningAsRoot(for: "devicesAndPipesAreWrittenThroughNeverReplaced") else { return }
        let dir = try storeWrittenByAnotherProcess()
        let place = temporaryStore()
        // A private null device (never the system's /dev/null).
        let null = place + "/null"
        let made = Process()
        made.executableURL = URL(fileURLWithPath: "/usr/bin/mknod")
        made.arguments = ["-m", "666", null, "c", "1", "3"]
        try made.run()
        made.waitUntilExit()
        try #require(made.terminationStatus == 0)
        let result = try runTemper(["report", "--dir", dir, "--out", null])
        #expect(result.status == 0, "\(result.errors)")
        var info = stat()
        #expect(stat(null, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR, "the device was replaced by a file")
        // A FIFO: what is written comes out of it.
        let fifo = place + "/fifo"
        #expect(mkfifo(fifo, 0o644) == 0)
        final class Box: @unchecked Sendable { var data = Data() }
        let read = Box()
        let reader = Thread { read.data = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data() }
        reader.start()
        let piped = try runTemper(["runs", "export", "--dir", dir, "--out", fifo])
        #expect(piped.status == 0, "\(piped.errors)")
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        #expect(String(decoding: read.data, as: UTF8.self).contains("after-seed1"))
        #expect(stat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
    }

    @Test func aLinkToAFileStaysALinkAndADirectoryIsRefusedBeforeTraining() throws {
        let dir = try storeWrittenByAnotherProcess()
        let place = temporaryStore()
        try Data("old".utf8).write(to: URL(fileURLWithPath: place + "/real.html"))
        try FileManager.default.createSymbolicLink(atPath: place + "/link.html", withDestinationPath: place + "/real.html")
        #expect(try runTemper(["report", "--dir", dir, "--out", place + "/link.html"]).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: place + "/link.html") == place + "/real.html")
        #expect(String(decoding: contents(place + "/real.html"), as: UTF8.self).contains("<html"))
        let started = Date()
        let json = try runTemper(["casestudy", "batchnorm", "--variants", "after", "--seeds", "1", "--epochs", "20000", "--dir", dir, "--json", place])
        #expect(json.status != 0 && json.errors.contains("is a directory"), "\(json.errors)")
        #expect(Date().timeIntervalSince(started) < 20, "refused only after training")
        #expect(try RunStore(directory: dir, access: .readOnly).runs().count == 1)
        let empty = try runTemper(["report", "--dir", dir, "--out", ""])
        #expect(empty.status != 0 && empty.errors.contains("empty"))
    }

    @Test func anotherStoresCompanionFilesAreRefused() throws {
        let dir = try storeWrittenByAnotherProcess(), other = try storeWrittenByAnotherProcess()
        for suffix in ["-wal", "-shm", "-journal"] {
            let result = try runTemper(["report", "--dir", dir, "--out", other + "/temper.sqlite" + suffix])
            #expect(result.status != 0 && result.errors.contains("refusing"), "\(suffix): \(result.errors)")
        }
        #expect(!listing(other).contains { $0.hasSuffix("-journal") })
    }

    @Test func theSameRunTwiceInAReportIsDrawnOnce() throws {
        let dir = try storeWrittenByAnotherProcess()
        let id = try RunStore(directory: dir, access: .readOnly).runs()[0].id
        let out = temporaryStore() + "/r.html"
        let result = try runTemper(["report", "--dir", dir, "--runs", "after-seed1,\(id),\(id.prefix(4))", "--out", out])
        #expect(result.status == 0, "\(result.errors)")
    }

    @Test func aWriteCommandOfAnotherUserLeavesNothingBehind() throws {
        guard runningAsRoot(for: "aWriteCommandOfAnotherUserLeavesNothingBehind") else { return }
        let shared = temporaryStore()
        chmod(shared, 0o1777)
        _ = try storeWrittenByAnotherProcess(shared)
        let files = listing(shared)
        for arguments in [["runs", "delete", "--dir", shared, "--yes", "after-seed1"],
                          ["casestudy", "batchnorm", "--variants", "after", "--seeds", "1", "--epochs", "1", "--dir", shared]] {
            let result = try runTemper(arguments, asNobody: true)
            #expect(result.status != 0 && result.errors.contains("may not write"), "\(result.errors)")
            #expect(listing(shared) == files, "\(arguments) left \(listing(shared))")
        }
    }

    @Test func aWriteCommandRefusesAnotherProgramsDatabaseWithoutChangingIt() throws {
        let dir = temporaryStore(), path = dir + "/temper.sqlite"
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "CREATE TABLE foo (x)") }
        try queue.close()
        let before = contents(path)
        for arguments in [["runs", "delete", "--dir", dir, "--yes", "abc"], ["casestudy", "batchnorm", "--variants", "after", "--seeds", "1", "--epochs", "1", "--dir", dir]] {
            let result = try runTemper(arguments)
            #expect(result.status != 0 && result.errors.contains("something else"), "\(result.errors)")
        }
        #expect(contents(path) == before && listing(dir) == ["temper.sqlite"])
        let empty = temporaryStore()
        _ = FileManager.default.createFile(atPath: empty + "/temper.sqlite", contents: Data())
        #expect(try runTemper(["runs", "delete", "--dir", empty, "--yes", "abc"]).status != 0)
        #expect(contents(empty + "/temper.sqlite").isEmpty)
    }

    @Test func aStoreLeftMidWriteIsNotReadAsIfWhole() throws {
        let dir = try storeWrittenByAnotherProcess()
        try Data(repeating: 1, count: 512).write(to: URL(fileURLWithPath: dir + "/temper.sqlite-journal"))
        let result = try runTemper(["runs", "--dir", dir])
        #expect(result.status != 0 && result.errors.contains("middle of a write"), "\(result.errors)")
    }

    @Test func jsonOutputsEscapeWhatATerminalWouldActOn() throws {
        let dir = temporaryStore()
        let run = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "p", name: "a\u{9B}31m\u{202E}b")
        try run.finish()
        for arguments in [["runs", "--dir", dir, "--json"], ["runs", "export", "--dir", dir, "--format", "json"]] {
            let result = try runTemper(arguments)
            #expect(result.status == 0)
            #expect(!result.output.unicodeScalars.contains { $0.value == 0x9B || $0.value == 0x202E }, "\(arguments)")
            #expect(result.output.contains("\\u009b") && result.output.contains("\\u202e"))
        }
    }

    @Test func aZombieProcessesRunIsCrashed() throws {
        let dir = temporaryStore()
        var pid: pid_t = 0
        let executable = try temperExecutable("TrackingProbe")
        let arguments = [executable, "--dir", dir, "--steps", "100000", "--interval", "5"]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        try #require(posix_spawn(&pid, executable, nil, nil, &argv, environ) == 0)
        // Until its run is registered.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try? RunStore(directory: dir, access: .readOnly).runs().isEmpty) ?? true { Thread.sleep(forTimeInterval: 0.05) }
        kill(pid, SIGKILL)
        Thread.sleep(forTimeInterval: 0.3)  // dead, not reaped: a zombie
        let state = try RunStore(directory: dir, access: .readOnly).runs().first?.state
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(state == .crashed)
    }
}

struct ExtremeStoredValueTests {
    @Test func hugeDurationsAndCountsDoNotTrap() {
        #expect(HTMLReport.formatDuration(1e308).hasSuffix("d"))
        #expect(HTMLReport.formatDuration(9.3e18).hasSuffix("d"))
        #expect(Histogram(edges: [0, 1, 2], counts: [Int.max, Int.max]).total == Int.max)
        #expect(NonFiniteCounts(nan: Int.max, positiveInfinity: 5).total == Int.max)
    }
}
