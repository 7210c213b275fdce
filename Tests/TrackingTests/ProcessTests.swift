import Foundation
import Testing
import ProcessSupport
import Tracking

/// Several processes and killed processes, with the real `temper` binary.
@Suite(.serialized)
struct ProcessTests {
    @Test func fourProcessesWritingAtOnceNeverFail() throws {
        // Three rounds: the race to create a store is won differently each time.
        for _ in 0..<3 {
            let dir = temporaryStore()
            // All four start before the store exists, so they also race to create and migrate it.
            let children = try (0..<4).map { _ in
                try launchTemper(program: "TrackingProbe", ["--dir", dir, "--runs", "3", "--steps", "200", "--finish"], mergingErrors: true)
            }
            for (process, output) in children {
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                #expect(process.terminationStatus == 0, "a writer failed: \(text.split(separator: "\n").filter { $0.contains("rror") }.prefix(2))")
            }
            let store = try RunStore(directory: dir)
            let runs = try store.runs(project: "probe")
            #expect(runs.count == 12)
            for run in runs {
                #expect(run.state == .finished)
                #expect(run.summary["value"]?.count == 200)
                #expect(run.summary["value"]?.last == 199)
                #expect(try store.histograms(run.id)["h"]?.count == 200)
            }
        }
    }

    /// A process that exits with a run still running: what it logged is in the store, and its
    /// writer, which wakes after the store closed (the heartbeat is due every 0.5 s and the
    /// process lingers 1.5 s at exit), stops without warning that it cannot write (it warned
    /// "SQLite error 21" before).
    @Test func aRunLeftRunningAtExitIsWrittenAndItsWriterStopsQuietly() throws {
        let dir = temporaryStore()
        let (process, output) = try launchTemper(program: "TrackingProbe", ["--dir", dir, "--steps", "10", "--linger-at-exit", "1.5"], mergingErrors: true)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(!text.contains("cannot write"), "\(text.suffix(400))")
        let run = try #require(try RunStore(directory: dir).runs(project: "probe").first)
        #expect(run.summary["value"]?.count == 10)
    }

    @Test func aKilledProcessLosesAtMostTheLastSecond() throws {
        let dir = temporaryStore()
        let (process, output) = try launchTemper(program: "TrackingProbe", ["--dir", dir, "--steps", "100000", "--interval", "5"])
        // Read what the child has logged for at least 2.5 s, noting when each step was reported,
        // and until more than 50 steps were reported over 1.2 s ago (a loaded machine starts the
        // child slowly); at most 15 s.
        var reported: [(step: Int, time: Date)] = []
        var buffer = Data()
        let start = Date()
        let handle = output.fileHandleForReading
        func enough() -> Bool {
            Date().timeIntervalSince(start) > 2.5 && reported.filter { Date().timeIntervalSince($0.time) > 1.2 }.count > 50
        }
        while !enough() && Date().timeIntervalSince(start) < 15 {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                if line.hasPrefix("step "), let step = Int(line.dropFirst(5)) { reported.append((step, Date())) }
            }
        }
        let killedAt = Date()
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        // Every step logged more than 1.2 s before the kill must be in the store.
        let durable = reported.filter { killedAt.timeIntervalSince($0.time) > 1.2 }.map(\.step).max() ?? -1
        try #require(durable > 50, "the child logged too little to judge (\(reported.count) steps)")
        Thread.sleep(forTimeInterval: 1.0)
        let store = try RunStore(directory: dir, staleAfter: 0.8)
        let run = try #require(try store.runs(project: "probe").first)
        let steps = Set(try store.history(run.id, keys: ["value"])["value"]?.map(\.step) ?? [])
        #expect((0...durable).allSatisfy(steps.contains), "steps up to \(durable) should be stored; \(steps.count) are")
        #expect(run.state == .crashed)
    }
}
