import Foundation
import Testing
@testable import Graph

struct GraphStructureTests {
    func sampleGraph() throws -> Graph {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 2])
        let w = try g.variable("w", [2, 3], initialValue: [1, 2, 3, 4, 5, 6])
        let gamma = try g.variable("gamma", [3], initialValue: [1, 1, 1])
        let bn = try g.batchNormTraining(try g.matmul(x, w), gamma: gamma, beta: nil)
        let y = try g.dropout(g.relu(bn.output), rate: 0.25, seed: 9)
        _ = try g.loss(.meanSquaredError, labels: try g.placeholder("t", [Shape.batch, 3]), predictions: y, name: "loss")
        _ = try g.assign(gamma, try g.add(gamma, try g.constant([0.5, 0.5, 0.5], shape: [3])))
        return g
    }

    @Test func verifierAcceptsABuiltGraph() throws {
        try sampleGraph().verify()
    }

    @Test func jsonRoundTripKeepsEveryNode() throws {
        let g = try sampleGraph()
        let loaded = try Graph.load(json: try g.jsonData())
        #expect(loaded.count == g.count)
        #expect(loaded.dtype == g.dtype)
        for (a, b) in zip(g.nodes, loaded.nodes) {
            #expect(a.name == b.name)
            #expect(a.op == b.op)
            #expect(a.inputs == b.inputs)
            #expect(a.shapes == b.shapes)
            #expect(a.role == b.role)
        }
        #expect(loaded.initialValues[loaded.node(named: "w")!.id] == [1, 2, 3, 4, 5, 6])
        // Writing it again gives the same bytes: the format is stable.
        #expect(try loaded.jsonData() == (try g.jsonData()))
    }

    @Test func loadingAForeignFileIsAClearError() throws {
        #expect {
            try Graph.load(json: Data("{\"hello\": 1}".utf8))
        } throws: { error in
            guard case GraphError.serialization(let m) = error else { return false }
            return m.contains("not a Temper graph file")
        }
    }

    @Test func loadingAGraphWithAForwardReferenceFails() throws {
        let g = try sampleGraph()
        var json = try JSONSerialization.jsonObject(with: try g.jsonData()) as! [String: Any]
        var nodes = json["nodes"] as! [[String: Any]]
        nodes.swapAt(0, 3)  // a consumer now precedes its input
        json["nodes"] = nodes
        let data = try JSONSerialization.data(withJSONObject: json)
        #expect(throws: GraphError.self) { try Graph.load(json: data) }
    }

    @Test func loadingAGraphWithABadShapeIsRejected() throws {
        let g = Graph()
        let x = try g.placeholder("x", [2, 3])
        _ = try g.matmul(x, try g.variable("w", [3, 4]), name: "product")
        var json = try JSONSerialization.jsonObject(with: try g.jsonData()) as! [String: Any]
        var nodes = json["nodes"] as! [[String: Any]]
        var op = nodes[1]["op"] as! [String: Any]
        var variable = op["variable"] as! [String: Any]
        variable["_0"] = ["dims": [5, 4]]  // the kernel no longer matches x's 3 columns
        op["variable"] = variable
        nodes[1]["op"] = op
        json["nodes"] = nodes
        #expect {
            try Graph.load(json: try JSONSerialization.data(withJSONObject: json))
        } throws: { error in
            "\(error)".contains("inner dimensions 3 and 5 differ")
        }
    }

    @Test func verifierDetectsADanglingInput() throws {
        let g = try sampleGraph()
        let broken = Graph(dtype: g.dtype)
        for node in g.nodes { try broken.addNode(node.op, inputs: node.inputs.map { NodeID($0.index) }, name: node.name) }  // positions, not g's ids
        try broken.verify()
        broken.corruptForTesting(node: NodeID(3), inputs: [NodeID(99)])
        #expect(throws: GraphError.self) { try broken.verify() }
        broken.corruptForTesting(node: NodeID(3), inputs: [NodeID(5)])
        #expect { try broken.verify() } throws: { "\($0)".contains("does not precede it") }
    }

    @Test func consumersListEachReaderOnce() throws {
        let g = Graph()
        let x = try g.placeholder("x", [2])
        let sq = try g.mul(x, x)
        let consumers = g.consumers()
        #expect(consumers[x.index] == [sq])
    }

    @Test func vocabularyNamesCoverEveryKind() {
        let names = Set(Op.vocabularyNames)
        #expect(names.contains("matmul"))
        #expect(names.contains("loss.binary_crossentropy"))
        #expect(names.contains("compare.greater"))
        #expect(!names.contains("loss"))
        #expect(names.count == OpKind.allCases.count - 3 + LossKind.allCases.count * 2 + Comparison.allCases.count)
    }
}
