import Foundation
import ProcessSupport
import Testing
import Tracking

/// `temper lab …` as a user runs it.
struct LabCommandTests {
    @Test func quickCovariateShiftWritesItsFiguresJSONAndRuns() throws {
        let store = temporaryStore()
        let out = (store as NSString).appendingPathComponent("figures")
        let result = try runTemper(["lab", "covariate-shift", "--quick", "--store", store, "--out", out])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("final test accuracy") && result.output.contains("median travel"))
        for file in ["covariate-shift-accuracy.svg", "covariate-shift-sigmoid-input-plain.svg", "covariate-shift-sigmoid-input-bn.svg", "covariate-shift.json"] {
            #expect(FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent(file)), "\(file)")
        }
        let runs = try runTemper(["runs", "--project", "lab-covariate-shift", "--store", store])
        #expect(runs.status == 0 && runs.output.contains("bn-seed2") && runs.output.contains("plain-seed1"))
    }

    @Test func aLabSweepIsResumedByItsCommandNotBySweepResume() throws {
        let store = temporaryStore()
        let out = (store as NSString).appendingPathComponent("figures")
        let first = try runTemper(["lab", "learning-rate", "--quick", "--seeds", "1", "--store", store, "--out", out])
        #expect(first.status == 0, "\(first.errors)")
        let id = try #require(first.output.split(separator: "\n").first { $0.contains("temper sweep show") }?.split(separator: " ").dropFirst(3).first)
        let show = try runTemper(["sweep", "show", String(id), "--store", store])
        #expect(show.status == 0 && show.output.contains("6 finished"))
        let resume = try runTemper(["sweep", "resume", String(id), "--store", store])
        #expect(resume.status != 0 && resume.errors.contains("made by `temper lab`; run `temper lab learning-rate --epochs 2 --learning-rates 0.01,1.0,30.0 --seeds 1` again"))
        let again = try runTemper(["lab", "learning-rate", "--quick", "--seeds", "1", "--store", store, "--out", out])
        #expect(again.status == 0 && again.output.contains("(resumed)"))
    }

    /// A sweep killed between two executions of a trial is taken again on the next run; only the
    /// new attempt's runs count (before the fix, the killed attempt's finished run counted too).
    @Test func anInterruptedLearningRateSweepResumesAndCountsEachSeedOnce() throws {
        let store = temporaryStore()
        let out = (store as NSString).appendingPathComponent("figures")
        let arguments = ["lab", "learning-rate", "--seeds", "2", "--epochs", "200", "--learning-rates", "0.01,0.1", "--store", store, "--out", out]
        let (process, _) = try launchTemper(arguments)
        let deadline = Date().addingTimeInterval(120)
        var killed = false
        while !killed, process.isRunning, Date() < deadline {
            if let runs = try? RunStore(directory: store).runs(project: "lab-learning-rate"), runs.contains(where: { $0.state == .finished }) {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        process.waitUntilExit()
        #expect(killed)
        let again = try runTemper(arguments)
        #expect(again.status == 0 && again.output.contains("(resumed)"), "\(again.errors)")
        let data = try Data(contentsOf: URL(fileURLWithPath: (out as NSString).appendingPathComponent("learning-rate.json")))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let points = try #require(object["points"] as? [[String: Any]])
        #expect(points.count == 4 && points.allSatisfy { ($0["finalTestAccuracy"] as? [Any])?.count == 2 })
        // The killed trial was taken again and holds the runs of both attempts (the first's finished
        // and its killed one, then the second's two).
        let sweep = try #require(object["sweepID"] as? String)
        #expect(try RunStore(directory: store).trials(sweep).contains { $0.attempt == 2 && $0.runIDs.count == 4 })
    }

    @Test func badOptionsAreClearErrorsBeforeAnythingTrains() throws {
        let store = temporaryStore()
        let file = (store as NSString).appendingPathComponent("a-file")
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        let cases: [([String], String)] = [
            (["lab", "covariate-shift", "--seeds", "0"], "--seeds must be from 1 to 1000"),
            (["lab", "covariate-shift", "--epochs=-2"], "--epochs must be positive"),
            (["lab", "covariate-shift", "--learning-rate", "nan"], "--learning-rate must be positive"),
            (["lab", "smoothness", "--out", file], "is a file"),
            (["lab", "learning-rate", "--learning-rates", "0.1,abc"], "\"abc\" is not a positive number"),
            (["lab", "learning-rate", "--learning-rates", "0.1,0.1"], "names a value twice"),
            (["lab", "final-layer", "--penalties=-1"], "\"-1\" is not a positive number"),
            (["lab", "smoothness", "--noise-shift", "1e300"], "finite in Float32"),
            (["lab", "final-layer", "--threads", "2147483648"], "--threads must be from 1 to 1024"),
            (["lab", "learning-rate", "--learning-rates=,,"], "\"\" is not a positive number"),
            (["lab", "final-layer", "--penalties=,,"], "\"\" is not a positive number"),
            (["lab", "final-layer", "--out", ""], "--out is empty"),
            (["lab", "covariate-shift", "--json", "newdir/"], "names a folder"),
            (["lab", "final-layer", "--json", store + "/f/final-layer-test-loss.svg", "--out", store + "/f"], "is where a figure goes"),
        ]
        for (arguments, message) in cases {
            let result = try runTemper(arguments + ["--store", store, "--quick"])
            #expect(result.status != 0 && result.errors.contains(message), "\(arguments): \(result.errors)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: store).sorted() == ["a-file"])
        let threads = try runTemper(["casestudy", "batchnorm", "--threads", "9223372036854775807", "--no-track"])
        #expect(threads.status != 0 && threads.errors.contains("--threads must be from 1 to 1024"), "\(threads.errors)")
        // The store is opened before the folder is made: a store that cannot be opened leaves none.
        let bad = try runTemper(["lab", "covariate-shift", "--quick", "--store", file, "--out", store + "/never"])
        #expect(bad.status != 0 && !FileManager.default.fileExists(atPath: store + "/never"), "\(bad.errors)")
    }
}

/// `temper example …` as a user runs it.
struct ExampleCommandTests {
    @Test func listAndQuickRunWriteTheirOutputs() throws {
        let listed = try runTemper(["example", "--list"])
        #expect(listed.status == 0 && listed.output.contains("01-capacity") && listed.output.contains("14-early-stopping"))
        let store = temporaryStore()
        let out = (store as NSString).appendingPathComponent("figures")
        let result = try runTemper(["example", "capacity", "--quick", "--store", store, "--out", out])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("units=128") && result.output.contains("temper sweep show"))
        for file in ["learning-curves.svg", "final.svg", "01-capacity.json"] {
            #expect(FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent(file)), "\(file)")
        }
        let id = try #require(result.output.split(separator: "\n").first { $0.contains("temper sweep show") }?.split(separator: " ").dropFirst(5).first)
        let resume = try runTemper(["sweep", "resume", String(id), "--store", store])
        #expect(resume.status != 0 && resume.errors.contains("run `temper example 01-capacity --quick` again"), "\(resume.errors)")
        let again = try runTemper(["example", "1", "--quick", "--store", store, "--out", out])
        #expect(again.status == 0 && again.output.contains("(resumed)"))
        let listWithName = try runTemper(["example", "--list", "capacity"])
        #expect(listWithName.status != 0 && listWithName.errors.contains("--list takes no example name"))
        // Names full of escape sequences reach the terminal made visible, never raw.
        let hostile = try runTemper(["lab", "covariate-shift", "--quick", "--store", store, "--project", "\u{1B}[2Jx<b>", "--out", out + "/\u{1B}[31m"])
        #expect(hostile.status == 0 && !hostile.output.contains("\u{1B}") && hostile.output.contains("\\e[2Jx<b>"), "\(hostile.output)")
        let unknown = try runTemper(["example", "capacityy", "--store", store])
        #expect(unknown.status != 0 && unknown.errors.contains("no example \"capacityy\""))
    }
}
