import Foundation
import Testing
import ProcessSupport
import Models
import Tracking
import ReadmeSupport

/// The README's tracking example, as written there (with a throwaway store and a small model).
struct ReadmeExampleTests {
    static let substitutions = [
        #"let run = try Tracker().start(project: "lesson04_bn", name: "bn-after","#:
            #"let run = try tracker.start(project: "lesson04_bn", name: "bn-after","#,
        "let history = try model.fit(x: x, y: y, batchSize: 32, epochs: 100, validationData: (xTest, yTest),":
            "let history = try model.fit(x: x, y: y, batchSize: 32, epochs: 5, validationData: (xTest, yTest),",
        "callbacks: [TrackingCallback(run, logWeights: true, logGradients: true)])":
            "callbacks: [TrackingCallback(run, logWeights: true, logGradients: true)], verbose: 0)",
    ]

    @Test func thisTestHoldsTheReadmeExample() throws {
        let block = try ReadmeBlocks.block(startingWith: "import Tracking")
        #expect(try ReadmeBlocks.missingLines(of: block, in: #filePath, substitutions: Self.substitutions) == [])
        #expect(ReadmeBlocks.staleSubstitutions(Self.substitutions, of: block) == [])
    }

    @Test func theReadmeTrackingExampleRecordsARun() throws {
        let model = Sequential(seed: 1) {
            Dense(8, activation: .relu, inputShape: [2])
            BatchNormalization()
            Dense(1, activation: .sigmoid)
        }
        try model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
        let data = try Generators.circles(samples: 96, noise: 0.1, seed: 3)
        let (x, y) = try (data.x.rows(0..<64), data.y.rows(0..<64)), (xTest, yTest) = try (data.x.rows(64..<96), data.y.rows(64..<96))
        let tracker = try Tracker(dir: temporaryStore())

        let run = try tracker.start(project: "lesson04_bn", name: "bn-after",
                                    config: ["layer_1": 50, "learn_rate": 0.01], tags: ["bn"])
        let history = try model.fit(x: x, y: y, batchSize: 32, epochs: 5, validationData: (xTest, yTest),
                                    callbacks: [TrackingCallback(run, logWeights: true, logGradients: true)], verbose: 0)

        let second = try tracker.start(project: "lesson04_bn")
        second.log(["loss": 0.42], step: 3); second.logHistogram(name: "w", values: [0.1, 0.2] as [Double], step: 3); try second.finish()

        let info = try tracker.store.run(run.id)
        #expect(info.state == .finished && info.tags == ["bn"] && info.config["layer_1"] == 50)
        #expect(try info.summary["val_accuracy"]?.last == history["val_accuracy"].last && info.summary["val_accuracy"]?.count == 5)
        #expect(try tracker.store.histogramNames(run.id).contains("gradients/dense/kernel"))
        #expect(try tracker.store.run(second.id).summary["loss"]?.last == 0.42)
        #expect(try tracker.store.histogramNames(second.id) == ["w"])
    }
}
