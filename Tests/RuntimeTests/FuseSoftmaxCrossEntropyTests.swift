import Foundation
import Testing
import Graph
import Autodiff
import Runtime

/// `fuse-softmax-ce`: categorical cross-entropy on softmax probabilities, and its backward, become
/// the logits form. The expectations are written out here from the definitions (log-sum-exp, and
/// softmax minus the labels), not taken from Temper's kernels.
struct FuseSoftmaxCrossEntropyTests {
    /// `mean(loss(y, softmax(x·w)))` and its gradient with respect to `w` and to the logits.
    struct Model {
        let graph = Graph(dtype: .float64)
        let x: NodeID, y: NodeID, w: NodeID, logits: NodeID, loss: NodeID, gradW: NodeID

        init(_ kind: LossKind, weights: [Double]) throws {
            x = try graph.placeholder("x", [Shape.batch, 4])
            y = kind.hasSparseLabels ? try graph.placeholder("y", [Shape.batch]) : try graph.placeholder("y", [Shape.batch, 3])
            w = try graph.variable("w", [4, 3], initialValue: weights)
            logits = try graph.matmul(x, w)
            loss = try graph.loss(kind, labels: y, predictions: graph.softmax(logits))
            gradW = try graph.gradients(of: loss, wrt: [w])[0]
        }

        func run(_ passes: Set<PassName>, x xs: [Double], y ys: [Double], rows: Int) throws -> (values: [[Double]], records: [PassRecord]) {
            let session = try Session(graph: graph, options: CompileOptions(passes: passes))
            let executable = try session.makeExecutable(fetch: [loss, gradW])
            let labels = ys.count == rows ? try Tensor(shape: [rows], ys) : try Tensor(shape: [rows, 3], ys)
            let values = try session.run(feeds: [x: try Tensor(shape: [rows, 4], xs), y: labels], fetch: [loss, gradW]).map(\.scalars)
            return (values, executable.passRecords)
        }
    }

    static let oneHot: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0]
    static let sparse: [Double] = [0, 1, 2, 1, 0]

    @Test(arguments: [LossKind.categoricalCrossEntropy, .sparseCategoricalCrossEntropy])
    func theFusedFormEqualsTheUnfusedOneAwayFromTheClipAndRewritesForwardAndBackward(kind: LossKind) throws {
        let model = try Model(kind, weights: randomValues(12, seed: 3, low: -0.5, high: 0.5))
        let xs = randomValues(20, seed: 4), ys = kind.hasSparseLabels ? Self.sparse : Self.oneHot
        let plain = try model.run([], x: xs, y: ys, rows: 5)
        let fused = try model.run([.fuseSoftmaxCrossEntropy], x: xs, y: ys, rows: 5)
        #expect(assertClose(fused.values.flatMap { $0 }, plain.values.flatMap { $0 }, tolerance: 1e-12))
        #expect(fused.records.first { $0.pass == .fuseSoftmaxCrossEntropy }?.rewrites == 2)
        let all = try model.run(Set(PassName.allCases), x: xs, y: ys, rows: 5)
        #expect(assertClose(all.values.flatMap { $0 }, plain.values.flatMap { $0 }, tolerance: 1e-12))
        #expect(all.records.first { $0.pass == .fuseSoftmaxCrossEntropy }?.rewrites == 2)
    }

    @Test func aConfidentlyWrongSampleGetsItsTrueLossAndAGradient() throws {
        // One row, x = e₁, so the logits are w's first row: (30, 0, 0) with the label on class 1.
        let weights: [Double] = [30, 0, 0] + [Double](repeating: 0, count: 9)
        let model = try Model(.categoricalCrossEntropy, weights: weights)
        let xs: [Double] = [1, 0, 0, 0], ys: [Double] = [0, 1, 0]
        let logSumExp = 30 + log(1 + 2 * exp(-30.0))
        let softmax = [exp(30 - logSumExp), exp(-logSumExp), exp(-logSumExp)]
        let fused = try model.run([.fuseSoftmaxCrossEntropy], x: xs, y: ys, rows: 1)
        #expect(Swift.abs(fused.values[0][0] - logSumExp) < 1e-9, "loss \(fused.values[0][0])")
        // d loss / d w₁ⱼ = softmaxⱼ − yⱼ (x = e₁); the other rows of w get nothing.
        let expected = zip(softmax, ys).map { $0 - $1 } + [Double](repeating: 0, count: 9)
        #expect(assertClose(fused.values[1], expected, tolerance: 1e-9), "\(fused.values[1])")
        // Without the pass: the clipped loss −ln(1e-7) ≈ 16.1 and no gradient at all.
        let plain = try model.run([], x: xs, y: ys, rows: 1)
        #expect(Swift.abs(plain.values[0][0] + log(1e-7)) < 1e-6)
        #expect(plain.values[1].allSatisfy { $0 == 0 })
    }

    @Test func softmaxOverAnotherAxisOrAnotherLossIsLeftAlone() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 3])
        let y = try g.placeholder("y", [Shape.batch, 3])
        let overBatch = try g.loss(.categoricalCrossEntropy, labels: y, predictions: g.softmax(x, axis: 0))
        let squared = try g.loss(.meanSquaredError, labels: y, predictions: g.softmax(x))
        let total = try g.add(overBatch, squared)
        let grad = try g.gradients(of: total, wrt: [x])[0]
        let executable = try Session(graph: g, options: CompileOptions(passes: [.fuseSoftmaxCrossEntropy])).makeExecutable(fetch: [total, grad])
        #expect(executable.passRecords.first { $0.pass == .fuseSoftmaxCrossEntropy }?.rewrites == 0)
    }
}
