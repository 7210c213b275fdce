import Testing
import Graph
import Runtime
import Workloads

/// Every pass on versus off gives the same values and the same training trajectory: losses and
/// all variables after several full training steps (forward, gradients, optimizer and batch-norm
/// updates), in Float64. Passes that do not reorder arithmetic must agree exactly; the fusions
/// that change the arithmetic (bias pre-fill, folded batch-norm scale, the logits form of BCE,
/// GEMM accumulation) agree to 1e-9.
struct PassEquivalenceTests {
    static let exactPasses: Set<PassName> = [.dce, .cse, .fold, .simplify, .fuseElementwise, .planMemory]

    struct Trajectory {
        var losses: [Double] = []
        var variables: [String: [Double]] = [:]
    }

    static func train(_ workload: TrainingStepGraph, options: CompileOptions, steps: Int = 3) throws -> Trajectory {
        let g = workload.graph
        let session = try Session(graph: g, options: options)
        let step = try session.makeExecutable(fetch: [workload.loss], targets: workload.updates)
        var random = SeededRandom(seed: 99)
        let rows = workload.batchSize
        let classes = g[workload.labels].shape.rank == 1 ? 3 : 2
        var trajectory = Trajectory()
        for _ in 0..<steps {
            let x = (0..<(rows * g[workload.input].shape.elementsPerBatchRow)).map { _ in random.normal() }
            let y = (0..<(rows * g[workload.labels].shape.elementsPerBatchRow)).map { _ in Double(Int(random.uniform() * Double(classes)) % classes) }
            try step.feed(workload.input, x)
            try step.feed(workload.labels, y)
            try step.run()
            trajectory.losses.append(try step.scalar(0))
        }
        for v in g.variables { trajectory.variables[g[v].name] = try session.value(of: v).scalars }
        return trajectory
    }

    static func workloads() throws -> [TrainingStepGraph] {
        [try TrainingStepGraphs.caseStudy(batchSize: 16, dtype: .float64),
         try TrainingStepGraphs.mlp(sizes: [6, 12, 10, 3], batchSize: 10, dtype: .float64)]
    }

    static func compare(_ a: Trajectory, _ b: Trajectory, exact: Bool) -> Bool {
        func close(_ x: [Double], _ y: [Double]) -> Bool {
            x.count == y.count && zip(x, y).allSatisfy { exact ? $0 == $1 : Swift.abs($0 - $1) <= 1e-9 * Swift.max(1, Swift.abs($1)) }
        }
        return close(a.losses, b.losses) && a.variables.keys == b.variables.keys && a.variables.allSatisfy { close($0.value, b.variables[$0.key]!) }
    }

    @Test(arguments: PassName.allCases)
    func eachPassAloneMatchesThePlainInterpreter(pass: PassName) throws {
        for workload in try Self.workloads() {
            let plain = try Self.train(workload, options: .none)
            let passed = try Self.train(workload, options: CompileOptions(passes: [pass]))
            let agrees = Self.compare(passed, plain, exact: Self.exactPasses.contains(pass))
            #expect(agrees, "\(pass.rawValue) on \(workload.name): losses \(passed.losses) vs \(plain.losses)")
        }
    }

    @Test(arguments: PassName.allCases)
    func everyPassButOneMatchesThePlainInterpreter(pass: PassName) throws {
        for workload in try Self.workloads() {
            let plain = try Self.train(workload, options: .none)
            let passed = try Self.train(workload, options: CompileOptions.all.disabling(pass))
            let agrees = Self.compare(passed, plain, exact: false)
            #expect(agrees, "all but \(pass.rawValue) on \(workload.name): losses \(passed.losses) vs \(plain.losses)")
        }
    }

    @Test func allPassesMatchThePlainInterpreterAndChangeTheProgram() throws {
        for workload in try Self.workloads() {
            let plain = try Self.train(workload, options: .none)
            let passed = try Self.train(workload, options: .all)
            let agrees = Self.compare(passed, plain, exact: false)
            #expect(agrees, "losses \(passed.losses) vs \(plain.losses)")
            #expect(plain.losses[0] != plain.losses[2], "training must move the loss")
            let report = try Session(graph: workload.graph).makeExecutable(fetch: [workload.loss], targets: workload.updates).report(batchSize: workload.batchSize)
            #expect(report.optimized.kernelCount < report.unoptimized.kernelCount)
            #expect(report.optimized.arenaBytes < report.optimized.unplannedBytes)
        }
    }

    /// Shapes, transposes, reductions, softmax, dropout and noise: the ops the training steps lack.
    @Test func assortedOpsAgreeUnderEveryPass() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 4])
        let w = try g.variable("w", [3, 4], initialValue: randomValues(12, seed: 1))
        let h = try g.matmul(x, g.transpose(w))                               // simplify: a transpose flag
        let noisy = try g.gaussianNoise(g.dropout(h, rate: 0.3, seed: 4), stddev: 0.1, seed: 5)
        let scaled = try g.add(g.mul(noisy, g.scalar(1)), g.scalar(0))       // simplify: x·1 + 0
        let p = try g.softmax(g.tanh(scaled))
        let folded = try g.exp(g.constant([0.5, 1, 2], shape: [3]))         // fold
        let y = try g.add(g.mul(p, folded), g.mul(p, folded))               // cse
        let r = try g.reduce(.max, g.reshape(y, [Shape.batch, 3, 1]), axes: [1])
        let out = try g.sum(g.add(r, g.mean(y, axes: [0], keepDims: true)))
        let grad = try g.gradients(of: out, wrt: [w])[0]
        let feeds = [x: try Tensor(shape: [5, 4], randomValues(20, seed: 2))]
        func values(_ options: CompileOptions) throws -> [[Double]] {
            let session = try Session(graph: g, options: options)
            session.step = 3
            return try session.run(feeds: feeds, fetch: [out, grad, h]).map(\.scalars)
        }
        let plain = try values(.none)
        for pass in PassName.allCases {
            let alone = try values(CompileOptions(passes: [pass]))
            #expect(alone == plain || !Self.exactPasses.contains(pass), "\(pass.rawValue)")
            #expect(assertClose(alone.flatMap { $0 }, plain.flatMap { $0 }, tolerance: 1e-9), "\(pass.rawValue)")
        }
        #expect(assertClose(try values(.all).flatMap { $0 }, plain.flatMap { $0 }, tolerance: 1e-9))
    }
}
