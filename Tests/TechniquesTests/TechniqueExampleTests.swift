import Foundation
import Testing
import TechniqueExamples
import Tracking
@testable import Techniques

/// Every technique example runs in its quick mode, so none of them rots.
@Suite(.serialized) struct TechniqueExampleTests {
    @Test func theCatalogListsEveryExampleFolderWithItsTitle() throws {
        let examples = try TechniqueCatalog.all()
        #expect(examples.count >= 13)
        #expect(examples.map(\.name) == examples.map(\.name).sorted())
        #expect(examples.allSatisfy { !$0.title.isEmpty && !$0.title.hasPrefix("#") && FileManager.default.fileExists(atPath: $0.sweepPath) })
        #expect(try TechniqueCatalog.example(named: "capacity").name == "01-capacity")
        #expect(try TechniqueCatalog.example(named: "2").name == "02-batch-size")
        #expect { _ = try TechniqueCatalog.example(named: "capacityy") } throws: { "\($0)".contains("no example \"capacityy\"") }
    }

    /// An example's sweep is the same wherever Temper's files are, and another when its train
    /// spec changes (before, the path counted and the train spec did not).
    @Test func anExamplesSweepDependsOnItsFilesNotOnWhereTheyAre() throws {
        let example = try TechniqueCatalog.example(named: "capacity")
        let source = ((example.sweepPath as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("temper-technique-copy-\(UUID().uuidString.prefix(6))").path
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for folder in ["01-capacity", "data"] {
            try FileManager.default.copyItem(atPath: (source as NSString).appendingPathComponent(folder), toPath: (copy as NSString).appendingPathComponent(folder))
        }
        let moved = TechniqueCatalog.Example(name: example.name, title: example.title, sweepPath: (copy as NSString).appendingPathComponent("01-capacity/sweep.yaml"))
        let original = try TechniqueRun(example: example).plan().plan.specHash
        #expect(try TechniqueRun(example: moved).plan().plan.specHash == original)
        #expect(try TechniqueRun(example: moved, quick: true).plan().plan.specHash != original)
        let train = (copy as NSString).appendingPathComponent("01-capacity/train.yaml")
        try (try String(contentsOfFile: train, encoding: .utf8)).replacingOccurrences(of: "epochs: 100", with: "epochs: 5").write(toFile: train, atomically: true, encoding: .utf8)
        #expect(try TechniqueRun(example: moved).plan().plan.specHash != original)
        #expect(techniqueCommand(ofSweepSpec: try TechniqueRun(example: moved, quick: true).plan().plan.spec) == "temper example 01-capacity --quick")
    }

    /// The gradient norm read from a 64-bin histogram is within 2% of the exact one.
    @Test func histogramNormsApproximateTheExactNorm() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("temper-technique-norm-\(UUID().uuidString.prefix(6))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tracker = try Tracker(dir: folder)
        let run = try tracker.start(project: "p")
        let values: [Float] = (0..<25).map { Float($0 % 7) * 0.013 - 0.04 + Float($0) * 0.0007 }
        run.logHistogram(name: "gradients/dense/kernel", values: values, step: 1)
        run.logHistogram(name: "gradients/dense/kernel", values: values.map { $0 * 100 }, step: 2)
        try run.finish()
        let exact = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let norms = try TechniqueResult.firstEpochKernelGradientNorms(tracker.store, run.id, layerOrder: ["dense"])
        #expect(norms.count == 1 && Swift.abs(norms[0].norm - exact) <= 0.02 * exact, "\(norms) against \(exact)")
    }

    @Test(arguments: try TechniqueCatalog.all().map(\.name))
    func exampleRunsInQuickMode(_ name: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("temper-technique-\(name)-\(UUID().uuidString.prefix(6))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tracker = try Tracker(dir: folder)
        let example = try TechniqueCatalog.example(named: name)
        let run = TechniqueRun(example: example, quick: true)
        let result = try run.run(tracker: tracker) { _ in }
        let size = try run.plan().plan.capacity() ?? 0
        #expect(result.settings.count == size && size >= 3)
        // Every setting trained once, for the quick epochs, to a finite score — or blew up, which
        // the gradient-clipping example shows on purpose (its unclipped setting).
        for setting in result.settings where setting.trialState != "finished" {
            #expect(name == "07-gradient-clipping" && setting.label == "clipping=none", "\(setting.label): \(setting.error ?? "")")
            #expect(setting.error?.contains("the loss became") == true)
        }
        let finished = result.settings.filter { $0.trialState == "finished" }
        #expect(finished.count >= result.settings.count - 1 && finished.count >= 2)
        for setting in finished {
            #expect(setting.curves.map(\.count) == [run.quickEpochs])
            #expect(setting.scores.count == 1 && setting.scores.allSatisfy(\.isFinite), "\(setting.label)")
        }
        #expect(result.varied.count == (name == "04-learning-rate" ? 2 : 1))
        let figures = result.figures()
        #expect(figures.map(\.file).first == "learning-curves.svg")
        #expect(figures.allSatisfy { $0.svg.hasPrefix("<svg") && $0.svg.contains("</svg>") })
        #expect(try tracker.store.runs(sweep: result.sweepID).count == size)
        // The example that logs gradient histograms gets a figure of every layer's gradient norm.
        if name == "06-relu" {
            #expect(result.gradientLayers.count == 6 && result.settings.allSatisfy { $0.firstEpochGradientNorms?.count == 6 })
            #expect(figures.map(\.file).contains("gradient-norms.svg"))
            #expect(result.gradientLayers == ["dense", "dense_1", "dense_2", "dense_3", "dense_4", "dense_5"].map { "gradients/\($0)/kernel" })
        }
    }
}
