import Foundation
import Testing
@testable import Graph

/// Attributes are checked in one place that every way of making a node goes through: the builder
/// methods, `addNode` with a raw op, `verify()` and `Graph.load(json:)`.
struct OpValidationTests {
    static func refuses(_ op: Op, saying text: String) throws {
        let g = Graph(dtype: .float32)
        let x = try g.placeholder("x", [Shape.batch, 3])
        #expect(throws: GraphError.self) { try g.addNode(op, inputs: [x], name: "bad") }
        #expect { try g.addNode(op, inputs: [x], name: "bad") } throws: { error in
            "\(error)".contains("\"bad\"") && "\(error)".contains(text)
        }
    }

    @Test func rawOpsWithAttributesOutOfTheirDomainAreRefused() throws {
        try Self.refuses(.unary(.dropout(rate: 1, seed: 0, training: true)), saying: "rate 1.0 must be in [0, 1)")
        try Self.refuses(.unary(.dropout(rate: -0.1, seed: 0, training: false)), saying: "rate -0.1")
        try Self.refuses(.unary(.dropout(rate: .nan, seed: 0, training: true)), saying: "rate nan")
        try Self.refuses(.unary(.gaussianNoise(stddev: -1, seed: 0, training: true)), saying: "stddev -1.0")
        try Self.refuses(.unary(.gaussianNoise(stddev: .infinity, seed: 0, training: true)), saying: "stddev inf")
        try Self.refuses(.unary(.clip(lower: 2, upper: 1)), saying: "lower bound 2.0 must not exceed upper bound 1.0")
        try Self.refuses(.unary(.clip(lower: .nan, upper: 1)), saying: "NaN")
        try Self.refuses(.unary(.pow(.nan)), saying: "exponent nan")
        try Self.refuses(.unary(.leakyRelu(alpha: .infinity)), saying: "alpha inf")
        try Self.refuses(.batchNormTraining(BatchNormConfig(epsilon: -1e-3, scale: false, center: false)), saying: "epsilon -0.001")
        try Self.refuses(.batchNormTraining(BatchNormConfig(epsilon: .nan, scale: false, center: false)), saying: "epsilon nan")
        let program = ElementwiseProgram(instructions: [.input(0), .unary(.dropout(rate: 2, seed: 0, training: true), 0)], inputCount: 1)
        try Self.refuses(.fusedElementwise(program), saying: "rate 2.0")
    }

    @Test func theBuilderMethodsSayTheSame() throws {
        let g = Graph(dtype: .float32)
        let x = try g.placeholder("x", [Shape.batch, 3])
        #expect { try g.dropout(x, rate: 1, seed: 0, name: "drop") } throws: { "\($0)".contains("dropout \"drop\": rate 1.0") }
        #expect { try g.clip(x, lower: 1, upper: 0, name: "c") } throws: { "\($0)".contains("clip \"c\": lower bound") }
        #expect { try g.batchNormTraining(x, gamma: nil, beta: nil, epsilon: -1, name: "bn") } throws: { "\($0)".contains("epsilon -1.0") }
    }

    @Test func attributesInTheirDomainAreAccepted() throws {
        let g = Graph(dtype: .float32)
        let x = try g.placeholder("x", [Shape.batch, 3])
        _ = try g.dropout(x, rate: 0, seed: 0)
        _ = try g.clip(x, lower: -.infinity, upper: 1)
        _ = try g.clip(x, lower: 1, upper: 1)
        _ = try g.batchNormTraining(x, gamma: nil, beta: nil, epsilon: 0)
        _ = try g.unary(.leakyRelu(alpha: -0.5), x)
    }

    @Test func aLoadedGraphWithABadAttributeIsRefused() throws {
        let g = Graph(dtype: .float32)
        let x = try g.placeholder("x", [Shape.batch, 3])
        _ = try g.dropout(x, rate: 0.25, seed: 3, name: "drop")
        let json = try #require(String(data: try g.jsonData(), encoding: .utf8))
        #expect(json.contains("0.25"))
        let tampered = Data(json.replacingOccurrences(of: "0.25", with: "1.5").utf8)
        #expect { try Graph.load(json: tampered) } throws: { "\($0)".contains("dropout \"drop\": rate 1.5 must be in [0, 1)") }
    }
}
