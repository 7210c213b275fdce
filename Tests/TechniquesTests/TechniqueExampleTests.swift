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
        #expect(result.varied.count == 1)
        let figures = result.figures()
        #expect(figures.map(\.file).first == "learning-curves.svg")
        #expect(figures.allSatisfy { $0.svg.hasPrefix("<svg") && $0.svg.contains("</svg>") })
        #expect(try tracker.store.runs(sweep: result.sweepID).count == size)
    }
}
