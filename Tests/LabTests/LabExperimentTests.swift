import Foundation
import Testing
import Tracking
import Tuning
@testable import Lab

/// Every lab experiment in its quick mode: figures, JSON, runs in the store.
@Suite(.serialized) struct LabExperimentTests {
    struct Setup {
        let folder: String
        let options: LabOptions
        let tracker: Tracker
    }

    func setup(_ name: String = #function, seeds: Int = 2) throws -> Setup {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("temper-lab-\(name.filter(\.isLetter))-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let tracker = try Tracker(dir: (folder as NSString).appendingPathComponent("store"))
        let options = try LabOptions(seeds: seeds, quick: true, out: (folder as NSString).appendingPathComponent("figures"),
                                     json: (folder as NSString).appendingPathComponent("result.json"), tracker: tracker, log: { _ in })
        return Setup(folder: folder, options: options, tracker: tracker)
    }

    func json(_ setup: Setup) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: (setup.folder as NSString).appendingPathComponent("result.json")))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func svgs(_ setup: Setup) throws -> [String: String] {
        let figures = (setup.folder as NSString).appendingPathComponent("figures")
        let names = try FileManager.default.contentsOfDirectory(atPath: figures).filter { $0.hasSuffix(".svg") }
        return try Dictionary(uniqueKeysWithValues: names.map { ($0, try String(contentsOfFile: (figures as NSString).appendingPathComponent($0), encoding: .utf8)) })
    }

    @Test func covariateShiftMeasuresTheSigmoidInputsAndLogsEveryRun() throws {
        let setup = try setup()
        defer { try? FileManager.default.removeItem(atPath: setup.folder) }
        let result = try CovariateShiftExperiment().run(setup.options)
        #expect(result.variants.map(\.name) == ["plain", "bn"])
        for variant in result.variants {
            #expect(variant.steps == [0, 24, 48, 72])
            for i in variant.steps.indices {
                #expect(variant.p15.low[i] <= variant.p50.low[i] && variant.p50.high[i] <= variant.p85.high[i])
                #expect(variant.testAccuracy.mean[i] >= 0 && variant.testAccuracy.mean[i] <= 1)
            }
        }
        // With BN the sigmoid's input is normalized over the batch (training mode): at
        // initialization its 15–85 spread is that of a unit-variance column (about 2), while the
        // small initialization leaves the plain network's far narrower.
        let bn = try #require(result.variants.last), plain = try #require(result.variants.first)
        #expect(bn.p85.mean[0] - bn.p15.mean[0] > 1 && bn.p85.mean[0] - bn.p15.mean[0] < 3)
        #expect(plain.p85.mean[0] - plain.p15.mean[0] < 0.5)
        try setup.tracker.waitUntilWritten()
        let runs = try setup.tracker.store.runs(project: "lab-covariate-shift")
        #expect(runs.count == 4 && runs.allSatisfy { $0.state == .finished })
        #expect(runs.allSatisfy { $0.summary["sigmoid_input_p50"]?.count == 4 && $0.summary["val_accuracy"]?.count == 3 })
        #expect(Set(runs.map(\.name)) == ["plain-seed1", "plain-seed2", "bn-seed1", "bn-seed2"])
        let figures = try svgs(setup)
        #expect(figures.count == 3 && figures.values.allSatisfy { $0.contains("<polygon class=\"band\"") })
        let object = try json(setup)
        #expect(object["experiment"] as? String == "covariate-shift" && (object["variants"] as? [Any])?.count == 2)
    }

    @Test func learningRateSweepLivesInTheStoreAndResumes() throws {
        let setup = try setup(seeds: 1)
        defer { try? FileManager.default.removeItem(atPath: setup.folder) }
        let first = try LearningRateExperiment().run(setup.options)
        #expect(first.points.count == 6 && first.points.allSatisfy { $0.trialState == "finished" && $0.finalTestAccuracy.count == 1 })
        let runs = try setup.tracker.store.runs(sweep: first.sweepID)
        #expect(runs.count == 6)
        // Tagged as every lab run (they lacked `lab` before), besides the sweep's name.
        #expect(runs.allSatisfy { $0.tags.contains("lab") && $0.tags.contains("learning-rate") }, "\(runs.map(\.tags))")
        // At a learning rate of 30 plain SGD blows the network without BN up.
        #expect(first.points.first { $0.learningRate == 30 && !$0.batchNorm }?.diverged == [true])
        // `temper sweep show` and the dashboard read the objective from the stored spec.
        let info = try setup.tracker.store.sweep(first.sweepID)
        #expect(StoredObjective.objective(spec: info.spec) == Objective(name: "val_accuracy", direction: .maximize))
        #expect(labCommand(ofSweepSpec: info.spec) == "temper lab learning-rate --epochs 2 --learning-rates 0.01,1.0,30.0 --seeds 1")
        // Run again: the same sweep, nothing trained twice.
        let second = try LearningRateExperiment().run(setup.options)
        #expect(second.sweepID == first.sweepID)
        #expect(try setup.tracker.store.runs(sweep: first.sweepID).count == 6)
        #expect(second.points.map(\.finalTestAccuracy) == first.points.map(\.finalTestAccuracy))
    }

    @Test func smoothnessProbesTheLandscapeOfEveryVariant() throws {
        let setup = try setup()
        defer { try? FileManager.default.removeItem(atPath: setup.folder) }
        let result = try SmoothnessExperiment().run(setup.options)
        #expect(result.variants.map(\.variant) == [.plain, .bn, .noisyBN])
        for variant in result.variants {
            #expect(variant.steps.count == 3)
            for i in variant.steps.indices {
                #expect(variant.lossLow.mean[i] <= variant.lossHigh.mean[i])
                #expect(variant.gradientPredictiveness.mean[i] > 0 && variant.betaSmoothness.mean[i] > 0)
            }
        }
        try setup.tracker.waitUntilWritten()
        let runs = try setup.tracker.store.runs(project: "lab-smoothness")
        #expect(runs.count == 6 && runs.allSatisfy { $0.summary["beta_smoothness"]?.count == 3 })
        #expect(try svgs(setup).count == 4)
    }

    @Test func finalLayerMeasuresTheLogitsOfEveryVariant() throws {
        let setup = try setup()
        defer { try? FileManager.default.removeItem(atPath: setup.folder) }
        var experiment = FinalLayerExperiment()
        experiment.penalties = [0.01]
        let result = try experiment.run(setup.options)
        #expect(result.variants.map(\.variant.name) == ["plain", "bn", "plain+logit-l2-0.01"])
        #expect(result.variants.allSatisfy { v in v.logitNorm.mean.allSatisfy { $0 > 0 } && v.finalTestAccuracy.count == 2 })
        // In inference mode at initialization BN (moving mean 0, variance 1) is nearly the identity.
        let plain = try #require(result.variants.first), bn = result.variants[1]
        for (a, b) in zip(plain.initialLogitNorm, bn.initialLogitNorm) { #expect(Swift.abs(a - b) < 0.01 * a) }
        try setup.tracker.waitUntilWritten()
        let penalized = try setup.tracker.store.runs(project: "lab-final-layer").filter { $0.group == "plain+logit-l2-0.01" }
        #expect(penalized.count == 2 && penalized.allSatisfy { $0.config["logit_penalty"] == .double(0.01) })
        #expect(try svgs(setup).count == 4)
    }

    /// A run whose loss becomes NaN is a result (diverged), not an error that loses the others.
    @Test func aDivergingRunIsReportedAndTheExperimentFinishes() throws {
        let setup = try setup()
        defer { try? FileManager.default.removeItem(atPath: setup.folder) }
        var experiment = CovariateShiftExperiment()
        experiment.learningRate = 1e30
        let result = try experiment.run(setup.options)
        #expect(result.variants.flatMap(\.diverged).contains(true))
        #expect(LabTables.covariateShift(result).contains("diverged"))
        #expect(try svgs(setup).count == 3)
        try setup.tracker.waitUntilWritten()
        #expect(try setup.tracker.store.runs(project: "lab-covariate-shift").allSatisfy { $0.state == .finished })
    }

    /// The figures each experiment writes are the ones its command checks before training.
    @Test func everyExperimentWritesTheFiguresItDeclares() throws {
        let setup = try setup(seeds: 1)
        defer { try? FileManager.default.removeItem(atPath: setup.folder) }
        _ = try SmoothnessExperiment().run(setup.options)
        #expect(Set(try svgs(setup).keys) == Set(LabExperiment.smoothness.figureFiles))
        let other = try self.setup(seeds: 1)
        defer { try? FileManager.default.removeItem(atPath: other.folder) }
        _ = try FinalLayerExperiment().run(other.options)
        #expect(Set(try svgs(other).keys) == Set(LabExperiment.finalLayer.figureFiles))
        let third = try self.setup(seeds: 1)
        defer { try? FileManager.default.removeItem(atPath: third.folder) }
        _ = try CovariateShiftExperiment().run(third.options)
        _ = try LearningRateExperiment().run(third.options)
        #expect(Set(try svgs(third).keys) == Set(LabExperiment.covariateShift.figureFiles + LabExperiment.learningRate.figureFiles))
    }

    @Test func optionsRefuseImpossibleSeeds() {
        #expect { _ = try LabOptions(seeds: 0) } throws: { "\($0)".contains("1 to 1000 seeds") }
    }
}
