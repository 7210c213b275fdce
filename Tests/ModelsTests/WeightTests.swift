import Foundation
import Testing
import Models

struct WeightTests {
    func model(seed: UInt64 = 1) -> Sequential {
        Sequential(seed: seed) {
            Dense(4, activation: .relu, inputShape: [3])
            BatchNormalization()
            Dense(2)
        }
    }

    @Test func weightsRoundTripThroughSafetensors() throws {
        let original = model(seed: 1)
        let path = temporaryPath("model.safetensors")
        try original.saveWeights(to: path)
        let copy = model(seed: 2)
        #expect(try copy.weights() != (try original.weights()))
        try copy.loadWeights(from: path)
        #expect(try copy.weights() == (try original.weights()))
        #expect(try original.weights().keys.sorted() == ["batch_normalization/beta", "batch_normalization/gamma", "batch_normalization/moving_mean",
                                                          "batch_normalization/moving_variance", "dense/bias", "dense/kernel", "dense_1/bias", "dense_1/kernel"])
    }

    @Test func theFileFollowsTheSafetensorsLayout() throws {
        let path = temporaryPath("layout.safetensors")
        try model().saveWeights(to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect(length % 8 == 0)
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as! [String: Any]
        let kernel = header["dense/kernel"] as! [String: Any]
        #expect(kernel["dtype"] as? String == "F32")
        #expect(kernel["shape"] as? [Int] == [3, 4])
        let offsets = kernel["data_offsets"] as! [Int]
        #expect(offsets[1] - offsets[0] == 48)
        let values = try model().weights()["dense/kernel"]!
        let first = data.subdata(in: (8 + length + offsets[0])..<(8 + length + offsets[0] + 4)).withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        #expect(first == values[0])
    }

    @Test func mismatchedFilesAreClearErrors() throws {
        let path = temporaryPath("other.safetensors")
        try Sequential(inputShape: [3]) { Dense(5) }.saveWeights(to: path)
        #expect { try model().loadWeights(from: path) } throws: { error in
            let text = "\(error)"
            return text.contains("missing batch_normalization/beta") && text.contains("dense_1/kernel")
        }
        let wrongShape = temporaryPath("shape.safetensors")
        try Sequential(inputShape: [3]) { Dense(5); BatchNormalization(); Dense(2) }.saveWeights(to: wrongShape)
        #expect { try model().loadWeights(from: wrongShape) } throws: { "\($0)".contains("weight \"batch_normalization/beta\" has shape [5], the model needs [4]") }
        let garbage = temporaryPath("garbage.safetensors")
        try Data("not a weight file at all".utf8).write(to: URL(fileURLWithPath: garbage))
        #expect { try model().loadWeights(from: garbage) } throws: { "\($0)".contains("not a safetensors file") }
        #expect { try model().setWeights(["dense/kernel": [1, 2]]) } throws: { "\($0)".contains("has shape [3, 4] (12 values), got 2 values") }
    }

    @Test func recompilingKeepsTheWeights() throws {
        let m = model()
        try m.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        try m.fit(x: Matrix([[1, 2, 3], [3, 2, 1]]), y: Matrix([[1, 0], [0, 1]]), batchSize: 2, epochs: 2, verbose: 0)
        let trained = try m.weights()
        try m.compile(optimizer: Adam(), loss: .meanSquaredError)
        #expect(try m.weights() == trained)
    }
}
