import Testing
import Graph
import Autodiff
import Runtime

/// Each pass, alone, on a small graph: it rewrites what it should (the op kinds after it and its
/// `PassRecord.rewrites`) and leaves alone what it should not. Values are the equivalence tests'.
struct PassFiringTests {
    /// The graph after `passes`, and the record of `pass`.
    static func compiled(_ g: Graph, fetch: [NodeID], targets: [NodeID] = [], passes: Set<PassName>, record pass: PassName)
        throws -> (kinds: [OpKind], rewrites: Int?) {
        let executable = try Session(graph: g, options: CompileOptions(passes: passes)).makeExecutable(fetch: fetch, targets: targets)
        return (executable.optimizedUnit.graph.nodes.map(\.op.kind), executable.passRecords.first { $0.pass == pass }?.rewrites)
    }

    static func count(_ kind: OpKind, in kinds: [OpKind]) -> Int { kinds.filter { $0 == kind }.count }

    @Test func dceDropsWhatNoFetchNeeds() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 3])
        let kept = try g.exp(x)
        _ = try g.log(g.tanh(x))  // read by nothing fetched
        let result = try Self.compiled(g, fetch: [kept], passes: [.dce], record: .dce)
        #expect(result.rewrites == 2)
        #expect(Self.count(.log, in: result.kinds) == 0 && Self.count(.tanh, in: result.kinds) == 0 && Self.count(.exp, in: result.kinds) == 1)
    }

    @Test func cseMergesEqualNodesButNotVariables() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 3])
        let v1 = try g.variable("v1", [3]), v2 = try g.variable("v2", [3])  // equal ops, distinct state
        let y = try g.add(g.add(g.exp(x), g.exp(x)), g.add(v1, v2))
        let result = try Self.compiled(g, fetch: [y], passes: [.cse, .dce], record: .cse)
        #expect(result.rewrites == 1)
        #expect(Self.count(.exp, in: result.kinds) == 1 && Self.count(.variable, in: result.kinds) == 2)
    }

    @Test func foldEvaluatesConstantsButNotRandomOps() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 3])
        let constant = try g.exp(g.constant([0, 1, 2], shape: [3]))
        let random = try g.dropout(g.constant([1, 1, 1], shape: [3]), rate: 0.5, seed: 1)
        let y = try g.add(g.add(x, constant), random)
        let result = try Self.compiled(g, fetch: [y], passes: [.fold, .dce], record: .fold)
        #expect(result.rewrites == 1)
        #expect(Self.count(.exp, in: result.kinds) == 0 && Self.count(.dropout, in: result.kinds) == 1)
    }

    @Test func simplifyAndFoldReachAFixedPoint() throws {
        // x·exp(0): fold makes exp(0) a 1 after simplify's first sweep; simplify must then drop the ·1.
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 3])
        let y = try g.tanh(g.mul(x, g.exp(g.scalar(0))))
        let result = try Self.compiled(g, fetch: [y], passes: [.simplify, .fold, .dce], record: .simplify)
        #expect(result.rewrites == 1)
        #expect(Self.count(.mul, in: result.kinds) == 0 && Self.count(.exp, in: result.kinds) == 0, "\(result.kinds)")
    }

    @Test func simplifyRemovesIdentitiesAndFlipsTransposesButKeepsRealWork() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 3])
        let w = try g.variable("w", [2, 3])
        let h = try g.matmul(g.add(g.mul(x, g.scalar(1)), g.scalar(0)), g.transpose(w))  // ·1, +0, a transpose flag
        let y = try g.mul(h, g.scalar(2))                                                // a real scaling: kept
        let result = try Self.compiled(g, fetch: [y], passes: [.simplify, .dce], record: .simplify)
        #expect(result.rewrites == 3)
        #expect(Self.count(.transpose, in: result.kinds) == 0 && Self.count(.add, in: result.kinds) == 0 && Self.count(.mul, in: result.kinds) == 1)
    }

    @Test func fuseElementwiseMakesOneKernelOfAChainButKeepsFetchedValues() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 3])
        let a = try g.tanh(g.exp(x))
        let y = try g.sigmoid(g.neg(a))
        let chain = try Self.compiled(g, fetch: [y], passes: [.fuseElementwise], record: .fuseElementwise)
        #expect(Self.count(.fusedElementwise, in: chain.kinds) == 1 && Self.count(.tanh, in: chain.kinds) == 0)
        #expect(chain.rewrites == 4)  // the four nodes of the chain, now one kernel
        // `a` fetched: it stays a value of its own.
        let split = try Self.compiled(g, fetch: [y, a], passes: [.fuseElementwise], record: .fuseElementwise)
        #expect(Self.count(.fusedElementwise, in: split.kinds) == 2, "\(split.kinds)")
    }

    @Test func fuseGemmEpilogueAndAccumulateAreCounted() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 3])
        let w = try g.variable("w", [3, 2]), b = try g.variable("b", [2])
        let y = try g.relu(g.add(g.matmul(x, w), b))                      // → gemm_epilogue
        let c = try g.variable("c", [3, 3]), a = try g.variable("a", [3, 3])
        let momentum = try g.add(g.mul(c, g.scalar(0.9)), g.matmul(a, a))  // β·C + A·A → gemm_accumulate
        let result = try Self.compiled(g, fetch: [y, momentum], passes: [.fuseGemmEpilogue], record: .fuseGemmEpilogue)
        #expect(result.rewrites == 2)
        #expect(Self.count(.gemmEpilogue, in: result.kinds) == 1 && Self.count(.gemmAccumulate, in: result.kinds) == 1)
        #expect(Self.count(.matmul, in: result.kinds) == 0 && Self.count(.relu, in: result.kinds) == 0)
        // A matmul whose value is also fetched is left alone.
        let other = Graph(dtype: .float64)
        let h = try other.matmul(other.placeholder("x", [Shape.batch, 3]), other.variable("w", [3, 2]))
        let shared = try other.add(h, other.variable("b", [2]))
        let both = try Self.compiled(other, fetch: [shared, h], passes: [.fuseGemmEpilogue], record: .fuseGemmEpilogue)
        #expect(both.rewrites == 0 && Self.count(.matmul, in: both.kinds) == 1)
    }

    @Test func fuseBCELogitsRewritesTheLossAndItsBackward() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 1]), y = try g.placeholder("y", [Shape.batch, 1])
        let w = try g.variable("w", [1, 1])
        let loss = try g.loss(.binaryCrossEntropy, labels: y, predictions: g.sigmoid(g.matmul(x, w)))
        let grad = try g.gradients(of: loss, wrt: [w])[0]
        let result = try Self.compiled(g, fetch: [loss, grad], passes: [.fuseBCELogits, .dce], record: .fuseBCELogits)
        #expect(result.rewrites == 2)
        #expect(Self.count(.sigmoidGradient, in: result.kinds) == 0)
        // BCE on a value that is not a sigmoid is left alone.
        let other = Graph(dtype: .float64)
        let p = try other.clip(other.placeholder("x", [Shape.batch, 1]), lower: 0.1, upper: 0.9)
        let plain = try other.loss(.binaryCrossEntropy, labels: other.placeholder("y", [Shape.batch, 1]), predictions: p)
        #expect(try Self.compiled(other, fetch: [plain], passes: [.fuseBCELogits], record: .fuseBCELogits).rewrites == 0)
    }

    @Test func fuseBatchNormFusesTheForwardWithItsReLUAndTheBackward() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 3])
        let gamma = try g.variable("gamma", [3]), beta = try g.variable("beta", [3])
        let out = try g.sum(g.relu(g.batchNormTraining(x, gamma: gamma, beta: beta).output))
        let grads = try g.gradients(of: out, wrt: [gamma, beta])
        let result = try Self.compiled(g, fetch: [out] + grads, passes: [.fuseBatchNorm, .dce], record: .fuseBatchNorm)
        #expect(result.rewrites == 2)
        #expect(Self.count(.batchNormTrainingFused, in: result.kinds) == 1 && Self.count(.batchNormTrainingGradientFused, in: result.kinds) == 1)
        #expect(Self.count(.relu, in: result.kinds) == 0 && Self.count(.batchNormTraining, in: result.kinds) == 0)
    }

    /// The deck's case study puts the ReLU before the batch norm: its backward `dx · (x > 0)` joins
    /// the fused backward, unless `dx` has another reader or is fetched.
    @Test func fuseBatchNormAbsorbsTheBackwardOfAReLUBeforeIt() throws {
        func graph() throws -> (Graph, x: NodeID, out: NodeID, h: NodeID, w: NodeID) {
            let g = Graph(dtype: .float64)
            let x = try g.placeholder("x", [Shape.batch, 3]), w = try g.variable("w", [3, 3])
            let h = try g.relu(g.matmul(x, w))
            let out = try g.sum(g.batchNormTraining(h, gamma: g.variable("gamma", [3]), beta: g.variable("beta", [3])).output)
            return (g, x, out, h, w)
        }
        let (g, _, out, _, w) = try graph()
        let grad = try g.gradients(of: out, wrt: [w])[0]
        let fused = try Self.compiled(g, fetch: [out, grad], passes: [.fuseBatchNorm, .dce], record: .fuseBatchNorm)
        #expect(fused.rewrites == 3)   // forward, backward, and the ReLU's backward product
        #expect(Self.count(.mul, in: fused.kinds) == 0 && Self.count(.compare, in: fused.kinds) == 0)
        let plain = try Self.compiled(g, fetch: [out, grad], passes: [.dce], record: .dce)
        #expect(Self.count(.mul, in: plain.kinds) == 1 && Self.count(.compare, in: plain.kinds) == 1)

        // When `dx` (the gradient with respect to h) is fetched too, the product stays.
        let (other, _, otherOut, h, otherW) = try graph()
        let both = try other.gradients(of: otherOut, wrt: [h, otherW])
        let kept = try Self.compiled(other, fetch: [otherOut] + both, passes: [.fuseBatchNorm, .dce], record: .fuseBatchNorm)
        #expect(kept.rewrites == 2 && Self.count(.mul, in: kept.kinds) == 1)
    }

    /// A fused `g · (y > 0)` (the ReLU's backward) runs as its own Float32 kernel, with the values of
    /// the unfused greater and mul bit for bit; other programs keep the general kernel.
    @Test func theReLUBackwardProgramRunsAsItsOwnKernelBitForBit() throws {
        let g = Graph(dtype: .float32)
        let x = try g.placeholder("x", [Shape.batch, 3])
        let w = try g.variable("w", [3, 20], initialValue: randomValues(60, seed: 3))
        let w2 = try g.variable("w2", [20, 2], initialValue: randomValues(40, seed: 5))
        let h = try g.relu(g.matmul(x, w))
        let out = try g.sum(g.matmul(h, w2))   // h's gradient comes from a GEMM: the mask is a program alone
        let grad = try g.gradients(of: out, wrt: [w])[0]
        let feeds = [x: try Tensor(shape: [9, 3], randomValues(27, seed: 4))]
        func run(_ options: CompileOptions) throws -> ([[Double]], [String]) {
            let session = try Session(graph: g, options: options)
            let values = try session.run(feeds: feeds, fetch: [out, grad]).map(\.scalars)
            let summaries = try session.makeExecutable(fetch: [out, grad]).statistics(batchSize: 9).kernelSummaries
            return (values, summaries)
        }
        let (fused, kernels) = try run(CompileOptions(passes: [.fuseElementwise]))
        let (plain, plainKernels) = try run(.none)
        #expect(fused == plain)
        #expect(kernels.contains { $0.contains("relu backward") }, "\(kernels)")
        #expect(!plainKernels.contains { $0.contains("relu backward") })
        let program = ElementwiseProgram(instructions: [.input(0), .input(1), .constant(0), .binary(.compare(.greater), 1, 2), .binary(.mul, 3, 0)],
                                         inputCount: 2)
        #expect(program.reluBackwardInputs?.gradient == 0 && program.reluBackwardInputs?.output == 1)
        let notZero = ElementwiseProgram(instructions: [.input(0), .input(1), .constant(1), .binary(.compare(.greater), 1, 2), .binary(.mul, 0, 3)],
                                         inputCount: 2)
        #expect(notZero.reluBackwardInputs == nil)
        let longer = ElementwiseProgram(instructions: [.input(0), .input(1), .constant(0), .binary(.compare(.greater), 1, 2), .binary(.mul, 0, 3),
                                                       .binary(.add, 4, 0)], inputCount: 2)
        #expect(longer.reluBackwardInputs == nil)
    }
}
