import Foundation
import ProcessSupport
import Testing

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
        #expect(resume.status != 0 && resume.errors.contains("made by `temper lab learning-rate`; run that command again"))
        let again = try runTemper(["lab", "learning-rate", "--quick", "--seeds", "1", "--store", store, "--out", out])
        #expect(again.status == 0 && again.output.contains("(resumed)"))
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
            (["lab", "learning-rate", "--learning-rates", "0.1,0.1"], "distinct rates"),
            (["lab", "final-layer", "--penalties=-1"], "\"-1\" is not a positive number"),
            (["lab", "smoothness", "--noise-shift", "inf"], "must be finite"),
        ]
        for (arguments, message) in cases {
            let result = try runTemper(arguments + ["--store", store, "--quick"])
            #expect(result.status != 0 && result.errors.contains(message), "\(arguments): \(result.errors)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: store).sorted() == ["a-file"])
    }
}
