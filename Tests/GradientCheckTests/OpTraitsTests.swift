import Testing
import Graph
import Autodiff
import Runtime
import GradientCheck

/// `Op.traits` is the one table of op traits; shape inference, autodiff and the passes are written
/// separately. These tests hold them together on every op of the vocabulary, before and after passes.
struct OpTraitsTests {
    /// Every gradient-check case, differentiated, plus an SGD step (assign, gemm_accumulate), each
    /// as built and as compiled with every pass.
    nonisolated(unsafe) static let graphs: [Graph] = {
        var result: [Graph] = []
        for testCase in GradientCheckSuite.cases {
            guard let built = try? differentiated(testCase) else { continue }
            result.append(built.graph)
            if let compiled = try? Session(graph: built.graph, options: .all).makeExecutable(fetch: built.fetch) {
                result.append(compiled.optimizedUnit.graph)
            }
        }
        for step in [try? sgdStep(), try? sgdStep(fused: true)].compactMap({ $0 }) {
            result.append(step.graph)
            if let compiled = try? Session(graph: step.graph, options: .all).makeExecutable(fetch: [step.loss], targets: step.updates) {
                result.append(compiled.optimizedUnit.graph)
            }
        }
        return result
    }()

    static func differentiated(_ testCase: GradientCheckCase) throws -> (graph: Graph, fetch: [NodeID]) {
        let g = Graph(dtype: .float64)
        let inputs = try testCase.inputs.enumerated().map { try g.placeholder("input_\($0.offset)", Shape($0.element.shape)) }
        let objective = try g.sum(testCase.build(g, inputs))
        let differentiable = inputs.indices.filter { testCase.inputs[$0].differentiable }.map { inputs[$0] }
        return (g, [objective] + (try g.gradients(of: objective, wrt: differentiable)))
    }

    /// With `fused`, the step is one `apply_updates` (Adam) instead of assigns.
    static func sgdStep(fused: Bool = false) throws -> (graph: Graph, loss: NodeID, updates: [NodeID]) {
        let g = Graph(dtype: .float32)
        let x = try g.placeholder("x", [Shape.batch, 4]), t = try g.placeholder("t", [Shape.batch, 3])
        let w = try g.variable("w", [4, 3], initialValue: Array(repeating: 0.1, count: 12))
        let b = try g.variable("b", [3], initialValue: [0, 0, 0])
        let loss = try g.mean(g.loss(.meanSquaredError, labels: t, predictions: g.relu(g.add(g.matmul(g.stopGradient(x), w), b))))
        let grads = try g.gradients(of: loss, wrt: [w, b])
        if fused {
            let slots = try [w, b].map { v in try ["m", "v"].map { try g.variable("\(g[v].name)/\($0)", g[v].shape, trainable: false) } }
            let step = try g.applyUpdates(.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false), scalar: g.scalar(0.01),
                                          [(w, grads[0], slots[0]), (b, grads[1], slots[1])])
            return (g, loss, [step])
        }
        let updates = try zip([w, b], grads).map { v, d in try g.assign(v, g.sub(v, g.mul(d, g.scalar(0.1)))) }
        return (g, loss, updates)
    }

    @Test func everyOpKindAppearsInTheGraphsChecked() {
        let kinds = Set(Self.graphs.flatMap { $0.nodes.map(\.op.kind) })
        #expect(Set(OpKind.allCases).subtracting(kinds).isEmpty, "not exercised: \(Set(OpKind.allCases).subtracting(kinds))")
    }

    @Test func outputCountAndArityAgreeWithShapeInference() {
        for graph in Self.graphs {
            for node in graph.nodes {
                #expect(node.shapes.count == node.op.outputCount, "\(node.op.label) \"\(node.name)\"")
                #expect(node.inputs.count == node.op.traits.arity, "\(node.op.label) \"\(node.name)\"")
                #expect(node.op.isSource == node.inputs.isEmpty, "\(node.op.label) \"\(node.name)\"")
            }
        }
    }

    @Test func onlyPassesMakeFusedOps() throws {
        for testCase in GradientCheckSuite.cases {
            let built = try Self.differentiated(testCase)
            #expect(!built.graph.nodes.contains { $0.op.isFused }, "\(testCase.op) \(testCase.detail)")
        }
        let fused = Self.graphs.flatMap { $0.nodes.filter(\.op.isFused).map(\.op.kind) }
        #expect(Set(fused) == [.fusedElementwise, .gemmEpilogue, .gemmAccumulate, .batchNormTrainingFused, .batchNormTrainingGradientFused])
    }

    @Test func anOpWithTheWrongNumberOfInputsIsRefusedByName() throws {
        let g = Graph(dtype: .float32)
        let x = try g.placeholder("x", [Shape.batch, 2])
        #expect { try g.addNode(.matmul(transposeA: false, transposeB: false), inputs: [x], name: "lonely") } throws: { error in
            "\(error)".contains("matmul \"lonely\" takes 2 input(s), got 1")
        }
        let gamma = try g.variable("gamma", [2])
        // scale and center: x, gamma, beta — two given.
        #expect { try g.addNode(.batchNormTraining(BatchNormConfig()), inputs: [x, gamma], name: "bn") } throws: { error in
            "\(error)".contains("batch_norm_training \"bn\" takes 3 input(s), got 2")
        }
    }
}
