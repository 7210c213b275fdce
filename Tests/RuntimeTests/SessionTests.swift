import Foundation
import Testing
import Graph
import Runtime

struct SessionTests {
    func denseGraph(_ dtype: DType = .float64) throws -> (Graph, x: NodeID, y: NodeID) {
        let g = Graph(dtype: dtype)
        let x = try g.placeholder("x", [Shape.batch, 3])
        let w = try g.variable("w", [3, 2], initialValue: [0.5, -1, 2, 0.25, -0.5, 1])
        let y = try g.tanh(g.matmul(x, w), name: "y")
        return (g, x, y)
    }

    @Test func programsAreCachedPerBatchSize() throws {
        let (g, x, y) = try denseGraph()
        let step = try Session(graph: g).makeExecutable(fetch: [y])
        var outputs: [[Double]] = []
        for rows in [4, 2, 4, 2] {
            try step.feed(x, (0..<(rows * 3)).map { Double($0) / 10 })
            try step.run()
            outputs.append(try step.output(0).scalars)
        }
        #expect(step.compiledBatchSizes == [2, 4])
        #expect(outputs[0] == outputs[2])
        #expect(outputs[1] == outputs[3])
        // The first two rows do not depend on the batch they are in.
        #expect(Array(outputs[0][0..<4]) == outputs[1])
        let w = [0.5, -1, 2, 0.25, -0.5, 1]
        var row0: [Double] = []
        for j in 0..<2 {
            let z: Double = 0.1 * w[2 + j] + 0.2 * w[4 + j]
            row0.append(Foundation.tanh(z))
        }
        #expect(assertClose(Array(outputs[1][0..<2]), row0))
    }

    @Test func feedsAreChecked() throws {
        let (g, x, y) = try denseGraph()
        let step = try Session(graph: g).makeExecutable(fetch: [y])
        #expect { try step.feed(x, [1.0, 2]) } throws: { "\($0)".contains("placeholder \"x\" of shape [?, 3] cannot take 2 values: it needs a positive multiple of 3") }
        #expect { try step.feed(y, [1.0, 2, 3]) } throws: { "\($0)".contains("\"y\" is a tanh, not a placeholder") }
        #expect { try step.run() } throws: { "\($0)".contains("placeholder \"x\" of shape [?, 3] was not fed") }
        let session = try Session(graph: g)
        #expect { try session.run(feeds: [x: try Tensor(shape: [2, 4], [Double](repeating: 0, count: 8))], fetch: [y]) } throws: {
            "\($0)".contains("has shape [?, 3] but was fed a tensor of shape [2, 4]")
        }
    }

    @Test func batchedFeedsOfOneRunMustAgree() throws {
        let g = Graph()
        let a = try g.placeholder("a", [Shape.batch, 2])
        let b = try g.placeholder("b", [Shape.batch, 2])
        let step = try Session(graph: g).makeExecutable(fetch: [try g.add(a, b)])
        try step.feed(a, [Float](repeating: 1, count: 4))
        #expect { try step.feed(b, [Float](repeating: 1, count: 6)) } throws: { "\($0)".contains("was fed 3 rows but another feed of this run had 2") }
    }

    @Test func batchNormTrainingOnOneRowNormalizesToBetaAsKeras() throws {
        let g = Graph()
        let x = try g.placeholder("x", [Shape.batch, 4])
        let beta = try g.variable("beta", [4], initialValue: [0.5, -1, 2, 0])
        let y = try g.batchNormTraining(x, gamma: nil, beta: beta, name: "bn").output
        let session = try Session(graph: g)
        // One row: its mean is itself and its variance 0, so x − mean = 0 and the output is β (to
        // float32 round-off of the mean, magnified by 1/√ε).
        let one = try session.run(feeds: [x: try Tensor(shape: [1, 4], [1, 2, 3, 4])], fetch: [y])[0]
        #expect(one.shape == [1, 4] && zip(one.scalars, [0.5, -1, 2, 0]).allSatisfy { abs($0 - $1) < 1e-5 }, "\(one.scalars)")
        #expect(try session.run(feeds: [x: try Tensor(shape: [2, 4], [1, 2, 3, 4, 2, 3, 4, 5])], fetch: [y])[0].shape == [2, 4])
    }

    @Test func assigningAVariableTwiceInOneRunIsRefused() throws {
        let g = Graph()
        let v = try g.variable("v", [2])
        let one = try g.constant([1, 1], shape: [2])
        let first = try g.assign(v, one), second = try g.assign(v, try g.add(v, one))
        #expect { try Session(graph: g).makeExecutable(fetch: [], targets: [first, second]).run() } throws: {
            "\($0)".contains("variable \"v\" is assigned twice in one run")
        }
    }

    @Test func variablesCanBeReadAndWritten() throws {
        let (g, _, _) = try denseGraph()
        let w = g.node(named: "w")!.id
        let session = try Session(graph: g)
        #expect(try session.value(of: w).scalars == [0.5, -1, 2, 0.25, -0.5, 1])
        try session.setValue(try Tensor(shape: [3, 2], [1, 2, 3, 4, 5, 6]), of: w)
        #expect(try session.value(of: w).scalars == [1, 2, 3, 4, 5, 6])
        #expect(throws: RuntimeError.self) { try session.setValue(try Tensor(shape: [2, 3], [1, 2, 3, 4, 5, 6]), of: w) }
        #expect(throws: RuntimeError.self) { try Tensor(shape: [2, 2], [1, 2, 3]) }
    }

    @Test func float32AgreesWithFloat64() throws {
        let input = randomValues(15, seed: 21)
        var results: [[Double]] = []
        for dtype in [DType.float32, .float64] {
            let (g, x, y) = try denseGraph(dtype)
            let loss = try g.mean(g.square(y))
            let grad = try g.gradients(of: loss, wrt: [g.node(named: "w")!.id])[0]
            results.append(try Session(graph: g).run(feeds: [x: try Tensor(shape: [5, 3], input)], fetch: [loss, grad]).flatMap(\.scalars))
        }
        #expect(assertClose(results[0], results[1], tolerance: 1e-5))
    }

    @Test func dropoutIsSeededPerStepAndScalesKeptValues() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 100])
        let y = try g.dropout(x, rate: 0.3, seed: 42)
        let z = try g.dropout(x, rate: 0.3, seed: 43)
        let inference = try g.dropout(x, rate: 0.3, seed: 42, training: false)
        let ones = try Tensor(shape: [100, 100], [Double](repeating: 1, count: 10_000))
        let session = try Session(graph: g)
        session.step = 5
        let first = try session.run(feeds: [x: ones], fetch: [y, z, inference])
        session.step = 5
        let again = try session.run(feeds: [x: ones], fetch: [y])[0]
        let next = try session.run(feeds: [x: ones], fetch: [y])[0]
        #expect(first[0] == again)
        #expect(first[0] != next)
        #expect(first[0] != first[1])
        #expect(first[2].scalars.allSatisfy { $0 == 1 })
        let kept = first[0].scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { Swift.abs($0 - 1 / 0.7) < 1e-12 })
        // 10 000 Bernoulli(0.7) draws: within 4 standard deviations (≈ 183) of 7000.
        #expect(Swift.abs(kept.count - 7000) < 183)
    }

    @Test func gaussianNoiseHasTheRequestedSpread() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 100])
        let y = try g.gaussianNoise(x, stddev: 0.5, seed: 7)
        let values = try Session(graph: g).run(feeds: [x: try Tensor(shape: [100, 100], [Double](repeating: 2, count: 10_000))], fetch: [y])[0].scalars
        let mean = values.reduce(0, +) / 10_000
        let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 10_000).squareRoot()
        #expect(Swift.abs(mean - 2) < 0.02)
        #expect(Swift.abs(deviation - 0.5) < 0.02)
    }

    @Test func compileOptionsParseNamedPasses() throws {
        #expect(try CompileOptions.parse("all") == .all)
        #expect(try CompileOptions.parse("none") == .none)
        #expect(try CompileOptions.parse("dce, fuse-elementwise").passes == [.dce, .fuseElementwise])
        #expect { try CompileOptions.parse("dce,fusion") } throws: { "\($0)".contains("unknown pass \"fusion\"") }
    }

    @Test(arguments: [DType.float32, .float64])
    func aVariableViewReadsTheCurrentValuesInPlace(dtype: DType) throws {
        let (g, _, _) = try denseGraph(dtype)
        let session = try Session(graph: g)
        let w = g.variables[0]
        let view = try session.view(of: w)
        #expect(view.count == 6)
        #expect(view.copiedFloats == [0.5, -1, 2, 0.25, -0.5, 1])
        // A view made once sees later changes (what logging weights every epoch relies on).
        try session.setValue(Tensor(shape: [3, 2], [1, 2, 3, 4, 5, 6]), of: w)
        #expect(view.withFloats { Array($0) } == [1, 2, 3, 4, 5, 6])
        #expect(try session.floatValues(of: w) == [1, 2, 3, 4, 5, 6])
    }
}

