import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import CaseStudies
import Models

struct CaseStudyTests {
    @Test func variantsHaveTheDecksModels() throws {
        for variant in BatchNormVariant.allCases {
            let model = variant.model(seed: 1)
            _ = try model.summary()
            switch variant {
            case .none: #expect(model.parameterCounts == (201, 201, 0))
            case .before, .after, .noMomentum: #expect(model.parameterCounts == (401, 301, 100))
            case .noCenterScale: #expect(model.parameterCounts == (301, 201, 100))
            case .input: #expect(model.parameterCounts == (209, 205, 4))
            }
        }
    }

    @Test func shortRunRecordsCurvesAndHistograms() throws {
        let study = try BatchNormCaseStudy(variants: [.after], seeds: 1, epochs: 6, recordHistograms: true)
        #expect(study.train.count == 500 && study.test.count == 500)
        let run = try study.run(.after, seed: 1)
        #expect(run.runningTrainAccuracy.count == 6)
        #expect(run.endOfEpochTrainAccuracy.count == 6)
        #expect(run.testAccuracy.count == 6)
        #expect(run.weightHistograms.count == 6 && run.gradientHistograms.count == 6)
        #expect(run.weightHistograms.allSatisfy { $0.total == 100 })
        #expect(run.millisecondsPerEpoch > 0)
        // The same seed gives the same run.
        #expect(try study.run(.after, seed: 1).testAccuracy == run.testAccuracy)
    }

    @Test func firstEpochNeedsBothAccuraciesOverTheThreshold() throws {
        let study = try BatchNormCaseStudy(variants: [.none], seeds: 1, epochs: 40, recordHistograms: false)
        let run = try study.run(.none, seed: 2)
        // Without batch norm the circles reach 80% within 40 epochs (the case study's figure: about 10).
        let first = try #require(run.firstEpochReaching(0.8, endOfEpoch: true))
        #expect(first > 1, "reached at the first epoch: the check before it would be empty")
        #expect(run.endOfEpochTrainAccuracy[first - 1] >= 0.8 && run.testAccuracy[first - 1] >= 0.8)
        for e in 0..<(first - 1) { #expect(run.endOfEpochTrainAccuracy[e] < 0.8 || run.testAccuracy[e] < 0.8) }
        #expect(run.firstEpochReaching(1.01, endOfEpoch: false) == nil)
    }

    @Test func summaryTableJsonAndPictures() throws {
        let study = try BatchNormCaseStudy(variants: [.none, .after], seeds: 2, epochs: 5, recordHistograms: true)
        let runs = try [BatchNormVariant.none, .after].flatMap { v in try (1...2).map { try study.run(v, seed: UInt64($0)) } }
        let summaries = [BatchNormVariant.none, .after].map { v in VariantSummary(variant: v, runs: runs.filter { $0.variant == v }) }
        let table = CaseStudyReport.table(summaries, epochs: 5)
        #expect(table.contains("none") && table.contains("after") && table.contains("ms/epoch"))
        let json = try JSONSerialization.jsonObject(with: CaseStudyReport.json(summaries, runs: runs, epochs: 5, seeds: 2)) as! [String: Any]
        #expect((json["runs"] as! [Any]).count == 4)
        #expect((json["variants"] as! [[String: Any]]).map { $0["variant"] as! String } == ["none", "after"])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("temper-casestudy-\(ProcessInfo.processInfo.processIdentifier)").path
        let files = try CaseStudyReport.writePictures(runs: runs, variants: [.none, .after], to: directory)
        #expect(files.count == 7)
        for file in files { #expect(XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: file))).parse(), "\(file)") }
    }

    @Test func medianCountsNeverAsLaterThanAnyEpoch() {
        #expect(VariantSummary.median([4, 2, 9]) == 4)
        #expect(VariantSummary.median([3, nil, 5]) == 5)
        #expect(VariantSummary.median([3, nil, nil, 5, nil]) == nil)
        #expect(VariantSummary.median([]) == nil)
    }
}
