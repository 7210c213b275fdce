import Foundation
import Testing
import Models
import ReadmeSupport

/// The README's vectorized-trials example, on the test copy of the circles.
struct ReadmeFitTogetherExampleTests {
    @Test func thisTestHoldsTheReadmeExample() throws {
        let block = try ReadmeBlocks.block(startingWith: "import Models", "", "let models = try [0.001, 0.01, 0.1, 0.3].enumerated().map { i, rate in")
        #expect(try ReadmeBlocks.missingLines(of: block, in: #filePath) == [])
    }

    @Test func readmeFitTogetherExampleTrainsEveryModelAsAlone() throws {
        let path = try #require(Bundle.module.url(forResource: "circles", withExtension: "csv", subdirectory: "Data")).path
        let data = try Dataset.csv(path: path)
        let (train, test) = try (data.rows(0..<500), data.rows(500..<1000))
        let models = try [0.001, 0.01, 0.1, 0.3].enumerated().map { i, rate in
            let model = Sequential(seed: UInt64(i + 1)) {
                Dense(50, activation: .relu, inputShape: [2]); BatchNormalization(); Dense(1, activation: .sigmoid)
            }
            try model.compile(optimizer: SGD(learningRate: .constant(rate), momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
            return model
        }
        let results = try Sequential.fitTogether(models, x: train.x, y: train.y, batchSize: 32, epochs: 100,
                                                 validationData: (test.x, test.y))   // one Result<History, Error> per model
        #expect(results.count == 4)
        let accuracy = try results.map { try $0.get().values(of: "val_accuracy")?.last ?? 0 }
        #expect(accuracy.max()! > 0.8, "\(accuracy)")
        // As the README says: each model ends where fit alone takes it (model 2 here).
        let alone = Sequential(seed: 3) {
            Dense(50, activation: .relu, inputShape: [2]); BatchNormalization(); Dense(1, activation: .sigmoid)
        }
        try alone.compile(optimizer: SGD(learningRate: .constant(0.1), momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
        let history = try alone.fit(x: train.x, y: train.y, batchSize: 32, epochs: 100, validationData: (test.x, test.y), verbose: 0)
        #expect(try results[2].get().values(of: "val_loss")?.map(\.bitPattern) == history.values(of: "val_loss")?.map(\.bitPattern))
    }
}
