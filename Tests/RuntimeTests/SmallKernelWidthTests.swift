import Foundation
import Testing
import Graph
import Autodiff
import Runtime

/// The small-model kernels walk columns in blocks of 32, 8 and 1 (or a last 8-column block that
/// overlaps the previous one). Every width from 1 to past 64 takes a different mix of blocks; each
/// is compared here with plain Float64 loops written from the formulas.
struct SmallKernelWidthTests {
    static let widths = [1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 50, 63, 64, 65, 71]

    @Test(arguments: widths)
    func matmulOfEveryTransposeAtThisWidth(width: Int) throws {
        // The width as n (row blocks), and as m with n = 1 (the matrix-vector paths).
        for (m, n, k) in [(3, width, 2), (4, width, 32), (width, 1, 7), (2, width, 1)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let aShape = ta ? [k, m] : [m, k], bShape = tb ? [n, k] : [k, n]
                let a = randomValues(m * k, seed: 11), b = randomValues(k * n, seed: 12)
                let g = Graph(dtype: .float64)
                let product = try g.matmul(g.constant(a, shape: Shape(aShape)), g.constant(b, shape: Shape(bShape)), transposeA: ta, transposeB: tb)
                let y = try Session(graph: g, options: .none).run(feeds: [:], fetch: [product])[0]
                let expected = Reference.matmul(a, aShape, b, bShape, transposeA: ta, transposeB: tb)
                #expect(assertClose(y.scalars, expected), "\(m)x\(n)x\(k) transposeA \(ta) transposeB \(tb)")
            }
        }
    }

    /// `relu(x·w + b)` (the fused epilogue) and `0.9·c + aᵀ·v` written back into `c` (the fused
    /// accumulate, in place), against plain loops.
    @Test(arguments: widths)
    func fusedGemmEpilogueAndAccumulateAtThisWidth(width: Int) throws {
        let rows = 5, k = 3
        let g = Graph(dtype: .float64)
        let xValues = randomValues(rows * k, seed: 21), wValues = randomValues(k * width, seed: 22), bValues = randomValues(width, seed: 23)
        let aValues = randomValues(rows * width, seed: 24), vValues = randomValues(rows * width, seed: 25), cValues = randomValues(width * width, seed: 26)
        let x = try g.constant(xValues, shape: [rows, k])
        let w = try g.variable("w", [k, width], initialValue: wValues), b = try g.variable("b", [width], initialValue: bValues)
        let y = try g.relu(g.add(g.matmul(x, w), b))
        // Variables, not constants: a product of constants is folded before it could be fused.
        let a = try g.variable("a", [rows, width], initialValue: aValues), v = try g.variable("v", [rows, width], initialValue: vValues)
        let c = try g.variable("c", [width, width], initialValue: cValues)
        let update = try g.assign(c, g.add(g.mul(c, g.scalar(0.9)), g.matmul(a, v, transposeA: true)))
        let session = try Session(graph: g, options: .all)
        let kernels = try session.makeExecutable(fetch: [y], targets: [update]).statistics(batchSize: 1).kernelSummaries.joined(separator: "\n")
        #expect(kernels.contains("+ bias + relu") && kernels.contains("accumulate"), "the fused kernels run: \(kernels)")
        let out = try session.run(feeds: [:], fetch: [y, c], targets: [update])
        var expectedY: [Double] = []
        for r in 0..<rows {
            for j in 0..<width {
                let z = bValues[j] + (0..<k).map { xValues[r * k + $0] * wValues[$0 * width + j] }.reduce(0, +)
                expectedY.append(Swift.max(z, 0))
            }
        }
        #expect(assertClose(out[0].scalars, expectedY), "epilogue at width \(width)")
        let after = try session.run(feeds: [:], fetch: [c])[0]
        var expectedC: [Double] = []
        for i in 0..<width {
            for j in 0..<width {
                let product = (0..<rows).map { aValues[$0 * width + i] * vValues[$0 * width + j] }.reduce(0, +)
                expectedC.append(0.9 * cValues[i * width + j] + product)
            }
        }
        #expect(assertClose(after.scalars, expectedC), "accumulate at width \(width)")
    }

    /// Batch norm (fused with the ReLU after it) forward and backward, against the closed forms.
    @Test(arguments: widths)
    func fusedBatchNormForwardAndBackwardAtThisWidth(width: Int) throws {
        let rows = 11, epsilon = 1e-3   // more than one chunk of 8 rows for wide inputs
        let xValues = randomValues(rows * width, seed: 31, low: -3, high: 4)
        let gammaValues = randomValues(width, seed: 32, low: 0.5, high: 2), betaValues = randomValues(width, seed: 33, low: -0.5, high: 0.5)
        let cotangent = randomValues(rows * width, seed: 34)
        let g = Graph(dtype: .float64)
        let x = try g.variable("x", [rows, width], initialValue: xValues)
        let gamma = try g.variable("gamma", [width], initialValue: gammaValues), beta = try g.variable("beta", [width], initialValue: betaValues)
        let z = try g.relu(g.batchNormTraining(x, gamma: gamma, beta: beta, epsilon: epsilon).output)
        let objective = try g.sum(g.mul(z, g.constant(cotangent, shape: [rows, width])))
        let grads = try g.gradients(of: objective, wrt: [x, gamma, beta])
        let session = try Session(graph: g, options: .all)
        let kernels = try session.makeExecutable(fetch: [z] + grads, targets: []).statistics(batchSize: 1).kernelSummaries.joined(separator: "\n")
        #expect(kernels.contains("fused_batch_norm+relu") && kernels.contains("fused_batch_norm_grad"), "the fused kernels run: \(kernels)")
        let out = try session.run(feeds: [:], fetch: [z] + grads)
        var expectedZ = [Double](repeating: 0, count: rows * width), expectedDX = expectedZ
        var expectedDGamma = [Double](repeating: 0, count: width), expectedDBeta = expectedDGamma
        for j in 0..<width {
            let column = (0..<rows).map { xValues[$0 * width + j] }
            let mean = column.reduce(0, +) / Double(rows)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rows)
            let r = 1 / (variance + epsilon).squareRoot()
            let normalized = column.map { ($0 - mean) * r }
            let pre = normalized.map { gammaValues[j] * $0 + betaValues[j] }
            let dy = (0..<rows).map { pre[$0] > 0 ? cotangent[$0 * width + j] : 0 }
            expectedDBeta[j] = dy.reduce(0, +)
            expectedDGamma[j] = zip(dy, normalized).map(*).reduce(0, +)
            for i in 0..<rows {
                expectedZ[i * width + j] = Swift.max(pre[i], 0)
                expectedDX[i * width + j] = gammaValues[j] * r / Double(rows)
                    * (Double(rows) * dy[i] - expectedDBeta[j] - normalized[i] * expectedDGamma[j])
            }
        }
        #expect(assertClose(out[0].scalars, expectedZ, tolerance: 1e-10), "forward at width \(width)")
        #expect(assertClose(out[1].scalars, expectedDX, tolerance: 1e-10), "dx at width \(width)")
        #expect(assertClose(out[2].scalars, expectedDGamma, tolerance: 1e-10), "dgamma at width \(width)")
        #expect(assertClose(out[3].scalars, expectedDBeta, tolerance: 1e-10), "dbeta at width \(width)")
    }

    @Test(arguments: widths)
    func columnSumsAtThisWidth(width: Int) throws {
        for rows in [1, 2, 9, 17] {
            let values = randomValues(rows * width, seed: 41)
            let g = Graph(dtype: .float64)
            let total = try g.sum(g.constant(values, shape: [rows, width]), axes: [0])
            let out = try Session(graph: g, options: .none).run(feeds: [:], fetch: [total])[0]
            let expected = (0..<width).map { j in (0..<rows).map { values[$0 * width + j] }.reduce(0, +) }
            #expect(assertClose(out.scalars, expected), "\(rows) rows at width \(width)")
        }
    }
}
