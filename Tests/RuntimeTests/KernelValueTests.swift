import Foundation
import Testing
import Graph
import Runtime

/// Every kernel's values against the scalar references, in Float64 with the plain interpreter.
struct KernelValueTests {
    func run(_ g: Graph, _ fetch: NodeID, feeds: [NodeID: Tensor] = [:], options: CompileOptions = .none) throws -> Tensor {
        try Session(graph: g, options: options).run(feeds: feeds, fetch: [fetch])[0]
    }

    static let unaryOps: [UnaryOp] = [.neg, .exp, .log, .sqrt, .rsqrt, .square, .abs, .sign, .pow(3), .pow(2.5), .pow(-1), .pow(0.5),
                                      .clip(lower: -0.5, upper: 1), .relu, .leakyRelu(alpha: 0.1), .elu(alpha: 0.7), .sigmoid, .tanh, .softplus]

    @Test(arguments: unaryOps)
    func unaryMatchesReference(op: UnaryOp) throws {
        let positiveOnly: Bool
        switch op {
        case .log, .sqrt, .rsqrt, .pow(2.5), .pow(0.5): positiveOnly = true
        default: positiveOnly = false
        }
        let values = randomValues(37, seed: 11, low: positiveOnly ? 0.1 : -3, high: 3) + (positiveOnly ? [] : [0])
        let g = Graph(dtype: .float64)
        let x = try g.constant(values, shape: [values.count])
        let y = try run(g, try g.unary(op, x))
        #expect(assertClose(y.scalars, values.map { Reference.unary(op, $0) }), "\(op.label)")
    }

    static let binaryShapes: [([Int], [Int])] = [([2, 3], [2, 3]), ([2, 3], [3]), ([4, 1], [1, 5]), ([], [2, 2]), ([2, 1, 3], [4, 1]), ([3, 1, 2], [3, 4, 1])]

    @Test(arguments: binaryShapes)
    func binaryOpsBroadcastLikeNumPy(shapes: ([Int], [Int])) throws {
        let (aShape, bShape) = shapes
        let a = randomValues(aShape.reduce(1, *), seed: 1), b = randomValues(bShape.reduce(1, *), seed: 2, low: 0.5, high: 2)
        let outShape = Reference.broadcastShape(aShape, bShape)
        var ops: [BinaryOp] = [.add, .sub, .mul, .div, .maximum, .minimum, .sigmoidGradient]
        ops += Comparison.allCases.map { .compare($0) }
        for op in ops {
            let g = Graph(dtype: .float64)
            let y = try run(g, try g.binary(op, try g.constant(a, shape: Shape(aShape)), try g.constant(b, shape: Shape(bShape))))
            let expected = (0..<outShape.reduce(1, *)).map { i -> Double in
                let c = Reference.coordinates(i, outShape)
                return Reference.binary(op, Reference.broadcastElement(a, aShape, at: c), Reference.broadcastElement(b, bShape, at: c))
            }
            #expect(y.shape == outShape)
            #expect(assertClose(y.scalars, expected), "\(op.name) \(aShape) \(bShape)")
        }
    }

    @Test func matmulWithEveryTransposeCombinationAndSize() throws {
        for (m, n, k) in [(3, 4, 5), (1, 7, 3), (6, 1, 4), (40, 30, 20), (2, 50, 32)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let aShape = ta ? [k, m] : [m, k], bShape = tb ? [n, k] : [k, n]
                let a = randomValues(m * k, seed: 3), b = randomValues(k * n, seed: 4)
                let g = Graph(dtype: .float64)
                let y = try run(g, try g.matmul(try g.constant(a, shape: Shape(aShape)), try g.constant(b, shape: Shape(bShape)), transposeA: ta, transposeB: tb))
                #expect(y.shape == [m, n])
                #expect(assertClose(y.scalars, Reference.matmul(a, aShape, b, bShape, transposeA: ta, transposeB: tb), tolerance: 1e-12), "\(m)x\(n)x\(k) \(ta) \(tb)")
            }
        }
    }

    @Test(arguments: [ReduceOp.sum, .mean, .max])
    func reductionsOverAnyAxes(op: ReduceOp) throws {
        let shape = [2, 3, 4]
        let x = randomValues(24, seed: 5)
        for axes in [[0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]] {
            for keep in [false, true] {
                let g = Graph(dtype: .float64)
                let y = try run(g, try g.reduce(op, try g.constant(x, shape: Shape(shape)), axes: axes, keepDims: keep))
                let keptShape = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
                var expected = [Double](repeating: op == .max ? -.infinity : 0, count: keptShape.reduce(1, *))
                for i in 0..<24 {
                    var c = Reference.coordinates(i, shape)
                    for a in axes { c[a] = 0 }
                    let j = Reference.flatIndex(c, keptShape)
                    expected[j] = op == .max ? Swift.max(expected[j], x[i]) : expected[j] + x[i]
                }
                if op == .mean { expected = expected.map { $0 / Double(axes.reduce(1) { $0 * shape[$1] }) } }
                let droppedShape: [Int] = shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
                #expect(y.shape == (keep ? keptShape : droppedShape))
                #expect(assertClose(y.scalars, expected), "\(op) \(axes) \(keep)")
            }
        }
    }

    @Test func softmaxAndLogSoftmaxAlongAnyAxis() throws {
        let shape = [2, 3, 4]
        let x = randomValues(24, seed: 6, low: -5, high: 5)
        for axis in 0..<3 {
            let g = Graph(dtype: .float64)
            let input = try g.constant(x, shape: Shape(shape))
            let session = try Session(graph: g, options: .none)
            let outputs = try session.run(feeds: [:], fetch: [try g.softmax(input, axis: axis), try g.logSoftmax(input, axis: axis)])
            var expected = [Double](repeating: 0, count: 24)
            for i in 0..<24 {
                let c = Reference.coordinates(i, shape)
                let total = (0..<shape[axis]).reduce(0.0) { sum, j in
                    var d = c
                    d[axis] = j
                    return sum + Foundation.exp(x[Reference.flatIndex(d, shape)])
                }
                expected[i] = Foundation.exp(x[i]) / total
            }
            #expect(assertClose(outputs[0].scalars, expected))
            #expect(assertClose(outputs[1].scalars, expected.map { Foundation.log($0) }, tolerance: 1e-11))
        }
    }

    @Test func softmaxIsStableForLargeLogits() throws {
        let g = Graph(dtype: .float32)
        let x = try g.constant([1000, 1001, 1002], shape: [1, 3])
        let y = try run(g, try g.softmax(x))
        #expect(y.scalars.allSatisfy { $0.isFinite })
        #expect(Swift.abs(y.scalars.reduce(0, +) - 1) < 1e-6)
    }

    @Test func transposeBroadcastAndReshapeMoveElements() throws {
        let shape = [2, 3, 4]
        let x = randomValues(24, seed: 7)
        let g = Graph(dtype: .float64)
        let input = try g.constant(x, shape: Shape(shape))
        let permutation = [2, 0, 1]
        let t = try run(g, try g.transpose(input, permutation))
        let outShape = permutation.map { shape[$0] }
        let expected = (0..<24).map { i -> Double in
            let c = Reference.coordinates(i, outShape)
            var source = [0, 0, 0]
            for (o, p) in permutation.enumerated() { source[p] = c[o] }
            return x[Reference.flatIndex(source, shape)]
        }
        #expect(t.shape == outShape)
        #expect(t.scalars == expected)
        let matrix = try run(g, try g.transpose(try g.constant(Array(x[0..<12]), shape: [3, 4])))
        let transposed: [Double] = (0..<12).map { (i: Int) -> Double in x[(i % 3) * 4 + i / 3] }
        #expect(matrix.scalars == transposed)
        let small = try g.constant([1, 2, 3], shape: [3, 1])
        let b = try run(g, try g.broadcast(small, to: [2, 3, 2]))
        #expect(b.scalars == [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3])
        let r = try run(g, try g.reshape(input, [4, 6]))
        #expect(r.shape == [4, 6] && r.scalars == x)
    }

    @Test func batchNormTrainingNormalizesWithBiasedBatchStatistics() throws {
        let rows = 6, features = 3
        let x = randomValues(rows * features, seed: 8, low: -4, high: 6)
        let gamma = [0.5, 2, -1.0], beta = [0.1, 0, 3.0]
        let g = Graph(dtype: .float64)
        let bn = try g.batchNormTraining(try g.constant(x, shape: [rows, features]), gamma: try g.constant(gamma, shape: [3]),
                                         beta: try g.constant(beta, shape: [3]), epsilon: 1e-3)
        for options in [CompileOptions.none, .all] {
            let out = try Session(graph: g, options: options).run(feeds: [:], fetch: [bn.output, bn.mean, bn.variance])
            for j in 0..<features {
                let column = (0..<rows).map { x[$0 * features + j] }
                let mean = column.reduce(0, +) / Double(rows)
                let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rows)
                #expect(Swift.abs(out[1].scalars[j] - mean) < 1e-12)
                #expect(Swift.abs(out[2].scalars[j] - variance) < 1e-12)
                for r in 0..<rows {
                    let expected = gamma[j] * (column[r] - mean) / (variance + 1e-3).squareRoot() + beta[j]
                    #expect(Swift.abs(out[0].scalars[r * features + j] - expected) < 1e-12)
                }
            }
        }
    }

    @Test func batchNormInferenceUsesTheGivenStatistics() throws {
        let x = randomValues(8, seed: 9)
        let g = Graph(dtype: .float64)
        let y = try g.batchNormInference(try g.constant(x, shape: [4, 2]), mean: try g.constant([1, -1], shape: [2]),
                                         variance: try g.constant([4, 0.25], shape: [2]), gamma: nil, beta: try g.constant([0, 10], shape: [2]),
                                         epsilon: 0)
        let out = try run(g, y)
        for i in 0..<8 {
            let j = i % 2
            let expected: Double = j == 0 ? (x[i] - 1) / 2 : (x[i] + 1) / 0.5 + 10
            #expect(Swift.abs(out.scalars[i] - expected) < 1e-12)
        }
    }

    @Test func lossesMatchKerasFormulas() throws {
        let rows = 4, k = 3
        let probabilities = randomValues(rows * k, seed: 10, low: 0.05, high: 0.95)
        let logits = randomValues(rows * k, seed: 11, low: -3, high: 3)
        let binary = randomValues(rows * k, seed: 12, low: 0, high: 1).map { $0.rounded() }
        let soft = randomValues(rows * k, seed: 13, low: 0, high: 1)
        let classes: [Double] = [0, 2, 1, 2]
        let eps = 1e-7
        func perRow(_ f: (Int) -> Double) -> [Double] { (0..<rows).map(f) }
        func mean(_ r: Int, _ f: (Int) -> Double) -> Double { (0..<k).map { f(r * k + $0) }.reduce(0, +) / Double(k) }
        func lse(_ r: Int) -> Double { Foundation.log((0..<k).map { Foundation.exp(logits[r * k + $0]) }.reduce(0, +)) }
        func check(_ kind: LossKind, _ labels: [Double], _ predictions: [Double], _ expected: [Double]) throws {
            let g = Graph(dtype: .float64)
            let labelShape: Shape = kind.hasSparseLabels ? [rows] : [rows, k]
            let loss = try g.loss(kind, labels: try g.constant(labels, shape: labelShape), predictions: try g.constant(predictions, shape: [rows, k]), reduction: .none)
            #expect(assertClose(try run(g, loss).scalars, expected, tolerance: 1e-12), "\(kind)")
        }
        let bce: [Double] = perRow { r in
            mean(r) { i -> Double in
                let y = binary[i], p = probabilities[i]
                return -(y * Foundation.log(p) + (1 - y) * Foundation.log(1 - p))
            }
        }
        try check(.binaryCrossEntropy, binary, probabilities, bce)
        let bceLogits: [Double] = perRow { r in
            mean(r) { i -> Double in
                let p = 1 / (1 + Foundation.exp(-logits[i])), y = soft[i]
                return -(y * Foundation.log(p) + (1 - y) * Foundation.log(1 - p))
            }
        }
        try check(.binaryCrossEntropyWithLogits, soft, logits, bceLogits)
        let softmaxCE: [Double] = perRow { r in
            let shift: Double = lse(r)
            var total = 0.0
            for j in 0..<k {
                let label: Double = soft[r * k + j]
                let logit: Double = logits[r * k + j]
                total -= label * (logit - shift)
            }
            return total
        }
        try check(.softmaxCrossEntropy, soft, logits, softmaxCE)
        let sparseSoftmaxCE: [Double] = perRow { r in lse(r) - logits[r * k + Int(classes[r])] }
        try check(.sparseSoftmaxCrossEntropy, classes, logits, sparseSoftmaxCE)
        func rowTotal(_ r: Int) -> Double { (0..<k).map { probabilities[r * k + $0] }.reduce(0, +) }
        let categorical: [Double] = perRow { r in
            let rowSum: Double = rowTotal(r)
            var total = 0.0
            for j in 0..<k {
                let label: Double = soft[r * k + j]
                let p: Double = probabilities[r * k + j] / rowSum
                total -= label * Foundation.log(p)
            }
            return total
        }
        try check(.categoricalCrossEntropy, soft, probabilities, categorical)
        let sparseCategorical: [Double] = perRow { r in -Foundation.log(probabilities[r * k + Int(classes[r])] / rowTotal(r)) }
        try check(.sparseCategoricalCrossEntropy, classes, probabilities, sparseCategorical)
        let mse: [Double] = perRow { r in mean(r) { i -> Double in (soft[i] - logits[i]) * (soft[i] - logits[i]) } }
        try check(.meanSquaredError, soft, logits, mse)
        let mae: [Double] = perRow { r in mean(r) { i -> Double in Swift.abs(soft[i] - logits[i]) } }
        try check(.meanAbsoluteError, soft, logits, mae)
        let msle: [Double] = perRow { r in
            mean(r) { i -> Double in
                let d = Foundation.log(1 + probabilities[i]) - Foundation.log(1 + soft[i])
                return d * d
            }
        }
        try check(.meanSquaredLogarithmicError, soft, probabilities, msle)
        // Hinge labels in {0, 1} are read as {−1, 1}.
        let hinge: [Double] = perRow { r in mean(r) { i -> Double in Swift.max(1 - (2 * binary[i] - 1) * logits[i], 0) } }
        try check(.hinge, binary, logits, hinge)
        let squaredHinge: [Double] = perRow { r in
            mean(r) { i -> Double in
                let margin = Swift.max(1 - (2 * binary[i] - 1) * logits[i], 0)
                return margin * margin
            }
        }
        try check(.squaredHinge, binary, logits, squaredHinge)
        let clippedSoft = soft.map { Swift.max($0, eps) }
        let kld: [Double] = perRow { r in
            (0..<k).map { j -> Double in
                let y = clippedSoft[r * k + j]
                return y * Foundation.log(y / probabilities[r * k + j])
            }.reduce(0, +)
        }
        try check(.kullbackLeiblerDivergence, clippedSoft, probabilities, kld)
    }

    @Test func binaryCrossEntropyClipsProbabilitiesLikeKeras() throws {
        let g = Graph(dtype: .float64)
        let loss = try g.loss(.binaryCrossEntropy, labels: try g.constant([1, 0], shape: [1, 2]), predictions: try g.constant([0, 1], shape: [1, 2]), reduction: .none)
        // Both terms are −ln(1e-7) after clipping, instead of infinity.
        #expect(Swift.abs(try run(g, loss).scalars[0] - (-Foundation.log(1e-7))) < 1e-9)
    }

    @Test func hingeTakesMinusOneOneLabelsAsGiven() throws {
        let g = Graph(dtype: .float64)
        let loss = try g.loss(.hinge, labels: try g.constant([-1, 1], shape: [1, 2]), predictions: try g.constant([0.5, 0.25], shape: [1, 2]), reduction: .none)
        #expect(try run(g, loss).scalars == [(1.5 + 0.75) / 2])
    }

    @Test func sparseLabelOutOfRangeIsAClearError() throws {
        let g = Graph()
        let labels = try g.placeholder("labels", [Shape.batch])
        let logits = try g.placeholder("logits", [Shape.batch, 3])
        let loss = try g.loss(.sparseSoftmaxCrossEntropy, labels: labels, predictions: logits, name: "loss")
        let session = try Session(graph: g)
        #expect {
            try session.run(feeds: [labels: try Tensor(shape: [2], [0, 3]), logits: try Tensor(shape: [2, 3], [0, 0, 0, 0, 0, 0])], fetch: [loss])
        } throws: { error in
            "\(error)".contains("label 3 in row 1 is not a class index in 0..<3")
        }
    }
}
