import Foundation
import Testing
import ProcessSupport
import Tracking

/// `temper runs`, `run show`, `runs export` and `runs delete`, run as a user runs them.
struct CommandLineTests {
    /// Runs `temper` with `input` on its standard input; returns the exit status and standard output.
    private func temper(_ arguments: [String], input: String = "") throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try temperExecutable())
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = environment["OPENBLAS_CORETYPE"] ?? "Haswell"
        process.environment = environment
        let output = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardInput = stdin
        process.standardError = FileHandle.nullDevice
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Three finished runs with different accuracies, one failed.
    private func store() throws -> (dir: String, ids: [String: String]) {
        let dir = temporaryStore()
        let tracker = try Tracker(dir: dir, systemMetricsInterval: 0.05)
        var ids: [String: String] = [:]
        for (name, accuracy) in [("low", 0.5), ("high", 0.9), ("mid", 0.7)] {
            let run = try tracker.start(project: "cli", name: name, config: ["lr": 0.01, "layers": ["units": 50]], tags: ["t-\(name)"])
            for step in 1...20 { run.log(["val_accuracy": accuracy * Double(step) / 20], step: step) }
            Thread.sleep(forTimeInterval: 0.06)
            try run.finish()
            ids[name] = run.id
        }
        let failed = try tracker.start(project: "cli", name: "broken")
        try failed.fail("the loss became nan")
        ids["broken"] = failed.id
        return (dir, ids)
    }

    @Test func runsAreListedSortedFilteredAndAsJSON() throws {
        let (dir, _) = try store()
        let table = try temper(["runs", "--dir", dir, "--project", "cli", "--sort", "-val_accuracy", "--filter", "state=finished"])
        #expect(table.status == 0)
        let names = table.output.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(Array(names.filter { ["low", "mid", "high", "broken"].contains($0) }) == ["high", "mid", "low"])
        let json = try temper(["runs", "--dir", dir, "--project", "cli", "--json"])
        let objects = try json.output.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.count == 4 && Set(objects.compactMap { $0["name"] as? String }) == ["low", "mid", "high", "broken"])
        #expect(objects.first { $0["name"] as? String == "broken" }?["error"] as? String == "the loss became nan")
    }

    @Test func showExportAndDelete() throws {
        let (dir, ids) = try store()
        let show = try temper(["run", "show", "--dir", dir, "high"])
        #expect(show.status == 0)
        #expect(show.output.contains("layers.units = 50") && show.output.contains("val_accuracy"))
        #expect(show.output.contains("last 0.9000") && show.output.contains("20 steps"))
        #expect(show.output.contains("rss_bytes") && show.output.contains("cpu_percent"))

        let csv = try temper(["runs", "export", "--dir", dir, "--project", "cli", "--format", "csv"])
        let lines = csv.output.split(separator: "\n")
        #expect(csv.status == 0 && lines.count == 5 && lines[0].contains("lr") && lines[0].contains("val_accuracy"))
        // Values in full, not as the table rounds them: 0.7 × 20 / 20 is 0.7 exactly as logged.
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let mid = lines.first { $0.contains(",mid,") }!.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(Double(mid[header.firstIndex(of: "val_accuracy")!]) == 0.7 * 20 / 20)
        #expect(mid[header.firstIndex(of: "project")!] == "cli" && Double(mid[header.firstIndex(of: "runtime")!]) != nil)

        let declined = try temper(["runs", "delete", "--dir", dir, ids["low"]!], input: "n\n")
        #expect(declined.status != 0 && declined.output.contains("nothing deleted"))
        #expect(try RunStore(directory: dir).runs(project: "cli").count == 4)
        let deleted = try temper(["runs", "delete", "--dir", dir, ids["low"]!, ids["broken"]!, "--yes"])
        #expect(deleted.status == 0 && deleted.output.contains("deleted 2 runs"))
        #expect(Set(try RunStore(directory: dir).runs(project: "cli").map(\.name)) == ["mid", "high"])
    }

    @Test func readingAMissingStoreIsAnErrorAndCreatesNothing() throws {
        let missing = temporaryStore() + "/typo"
        for arguments in [["runs", "--dir", missing], ["run", "show", "--dir", missing, "x"], ["report", "--dir", missing, "--project", "p"]] {
            let result = try temper(arguments)
            #expect(result.status != 0, "\(arguments)")
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect { try RunStore(directory: missing, mustExist: true) } throws: { "\($0)".contains("no run store in \(missing)") }
    }
}
