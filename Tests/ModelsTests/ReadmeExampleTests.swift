import Foundation
import Testing
import Models
import ReadmeSupport

/// The README's model example, with the data path pointed at the test copy and no progress bar.
struct ReadmeExampleTests {
    /// What this test runs instead of the README's lines.
    static let substitutions = [
        #"let data = try Dataset.csv(path: "circles.csv")"#: "let data = try Dataset.csv(path: path)",
        "validationData: (test.x, test.y), callbacks: [EarlyStopping(patience: 10)])":
            "validationData: (test.x, test.y), callbacks: [EarlyStopping(patience: 10)], verbose: 0)",
    ]

    @Test func thisTestHoldsTheReadmeExample() throws {
        let block = try ReadmeBlocks.block(startingWith: "import Models", "")
        #expect(try ReadmeBlocks.missingLines(of: block, in: #filePath, substitutions: Self.substitutions) == [])
        #expect(ReadmeBlocks.staleSubstitutions(Self.substitutions, of: block) == [])
    }

    @Test func readmeModelExampleTrains() throws {
        let path = try #require(Bundle.module.url(forResource: "circles", withExtension: "csv", subdirectory: "Data")).path
        let data = try Dataset.csv(path: path)                        // header row; the last column is the label
        let (train, test) = try (data.rows(0..<500), data.rows(500..<1000))
        let model = Sequential(seed: 1) {
            Dense(50, activation: .relu, kernelInitializer: .heUniform(), inputShape: [2])
            BatchNormalization()
            Dense(1, activation: .sigmoid)
        }
        print(try model.summary())                                   // Total params: 401, trainable 301
        #expect(try model.summary().contains("Total params: 401"))
        try model.compile(optimizer: SGD(learningRate: 0.01, momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
        let history = try model.fit(x: train.x, y: train.y, batchSize: 32, epochs: 100,
                                    validationData: (test.x, test.y), callbacks: [EarlyStopping(patience: 10)], verbose: 0)
        #expect(try history["val_accuracy"].last! > 0.8)
        #expect(history.epochs.count <= 100)
    }
}
