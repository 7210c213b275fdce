import Foundation
import Testing
import ReadmeSupport

/// The README's Keras Tuner example is the shipped one (Examples/keras-tuner/main.swift), which
/// CI runs.
struct ReadmeExampleTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/keras-tuner/main.swift").path
    /// What the example runs instead of the README's lines (two trials at once; the epochs from
    /// its command line; three best trials).
    static let substitutions = [
        #"seed: 1, directory: "my_dir", projectName: "helloworld") { hp in"#:
            #"seed: 1, directory: "my_dir", projectName: "helloworld", parallel: 2) { hp in"#,
        "try tuner.search(x: trainX, y: trainY, epochs: 500, batchSize: 32, validationData: (testX, testY))":
            "try tuner.search(x: trainX, y: trainY, epochs: epochs, batchSize: 32, validationData: (testX, testY))",
        "try tuner.resultsSummary()": "try tuner.resultsSummary(3)",
    ]

    @Test func theShippedExampleHoldsTheReadmeExample() throws {
        let block = try ReadmeBlocks.block(startingWith: "import Models", "import Tuning")
        #expect(try ReadmeBlocks.missingLines(of: block, in: Self.example, substitutions: Self.substitutions) == [])
        #expect(ReadmeBlocks.staleSubstitutions(Self.substitutions, of: block) == [])
    }

    @Test func aReadmeLineTheSourceLacksIsReported() throws {
        let missing = try ReadmeBlocks.missingLines(of: ["import Models", "", "let x = 1  // one", "// a comment"], in: Self.example)
        #expect(missing == ["let x = 1"])
    }
}
