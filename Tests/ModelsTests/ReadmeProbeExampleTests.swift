import Foundation
import Testing
import Models
import ReadmeSupport
import Runtime

/// The README's probe example (the batch-norm lab's API), run on random digits-shaped data.
struct ReadmeProbeExampleTests {
    @Test func thisTestHoldsTheReadmeExample() throws {
        let block = try ReadmeBlocks.block(startingWith: "let model = Sequential(seed: 1, inputShape: [64]) {")
        #expect(try ReadmeBlocks.missingLines(of: block, in: #filePath) == [])
    }

    @Test func readmeProbeExampleRuns() throws {
        var random = SeededRandom(seed: 2)
        let x = try Matrix(rows: 40, columns: 64, values: (0..<(40 * 64)).map { _ in Float(random.next() % 17) / 16 })
        let y = try Matrix(rows: 40, columns: 1, values: (0..<40).map { _ in Float(random.next() % 10) })
        let model = Sequential(seed: 1, inputShape: [64]) {
            Dense(100, name: "dense_1")
            BatchNormalization(name: "bn_1")
            Activation(.sigmoid, name: "act_1")
            Dense(10, name: "logits")
        }
        try model.compile(optimizer: SGD(learningRate: 0.5), loss: .sparseCategoricalCrossEntropy(fromLogits: true))
        let sigmoidInputs = try model.layerOutputs(x: x, layers: ["bn_1"], mode: .training)["bn_1"]  // any layer, either mode
        let (loss, g) = try model.lossAndGradients(x: x, y: y)  // the training loss and its gradients, by variable
        let w = try model.weights()
        var stepped: [String: [Float]] = [:]
        for (name, gradient) in g { stepped[name] = zip(w[name] ?? [], gradient).map { $0 - 0.1 * $1 } }  // w − 0.1·g
        let (steppedLoss, steppedGradients) = try model.lossAndGradients(x: x, y: y, weights: stepped)  // the model is unchanged
        #expect(sigmoidInputs?.rows == 40 && sigmoidInputs?.columns == 100)
        #expect(Set(g.keys) == ["dense_1/kernel", "dense_1/bias", "bn_1/gamma", "bn_1/beta", "logits/kernel", "logits/bias"])
        // A small step down the gradient lowers the loss, and the gradient there differs.
        #expect(steppedLoss < loss)
        #expect(steppedGradients["logits/kernel"] != g["logits/kernel"])
        #expect(try model.weights() == w)
    }
}
