import Foundation
import Testing
@testable import Tuning

@Suite struct ChildProcessTests {
    @Test func aProgramThatCannotRunIsNamedWithTheReason() throws {
        let directory = temporaryDirectory()
        let script = (directory as NSString).appendingPathComponent("train.sh")
        try "echo hi\n".write(toFile: script, atomically: true, encoding: .utf8)
        let cases: [(String, String)] = [
            ((directory as NSString).appendingPathComponent("missing.sh"), "does not exist"),
            (directory, "is a directory"),
            (script, "chmod +x"),
        ]
        for (path, reason) in cases {
            #expect {
                _ = try ChildProcess.executable(path, environment: [:])
            } throws: { error in
                "\(error)".contains(path) && "\(error)".contains(reason)
            }
        }
    }

    @Test func theLogIsCappedButMetricsAfterTheCapAreStillRead() throws {
        let directory = temporaryDirectory()
        let logPath = (directory as NSString).appendingPathComponent("trial.log")
        #expect(FileManager.default.createFile(atPath: logPath, contents: nil))
        let log = try #require(FileHandle(forWritingAtPath: logPath))
        let pipe = Pipe()
        var reported: [[String: Double]] = []
        let reader = LineReader(handle: pipe.fileHandleForReading, log: log, longestLog: 1000) { values, _ in reported.append(values) }
        let chatter = String(repeating: "x", count: 99) + "\n"
        pipe.fileHandleForWriting.write(Data(String(repeating: chatter, count: 50).utf8))
        pipe.fileHandleForWriting.write(Data("{\"loss\": 0.25}\n".utf8))
        try pipe.fileHandleForWriting.close()
        reader.readToEnd()
        try log.close()
        let written = try Data(contentsOf: URL(fileURLWithPath: logPath))
        #expect(written.count < 1200)
        #expect(String(decoding: written, as: UTF8.self).contains("the log stops here"))
        #expect(reported.last?["loss"] == 0.25)
    }
}

/// A worker's queue, as another worker sees it.
@Suite struct WorkerQueueTests {
    /// A worker that found nothing to claim waits while another is busy; a worker whose claim is
    /// in the store's transaction but not yet in its queue must count as busy, or the idle one
    /// quits and every trial of that batch (a long one included) runs on one worker.
    @Test func aWorkerIsBusyFromTheStartOfItsClaimUntilItsBatchIsDone() {
        let queue = WorkerQueue()
        #expect(!queue.isBusy)
        queue.startClaiming()
        #expect(queue.isBusy)
        queue.fill([])
        #expect(!queue.isBusy)
    }
}
