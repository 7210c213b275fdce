import AllocationCounting
import Testing
import Graph
import Runtime
import Workloads

/// Heap allocations the calling thread makes while `body` runs.
func heapAllocations(_ body: () throws -> Void) rethrows -> Int {
    try AllocationCounter.count(body) ?? -1
}

/// Zero allocations hold for optimized code; unoptimized builds call unspecialized generics that box.
let optimized = !_isDebugAssertConfiguration()

@Suite(.serialized)
struct MemoryTests {
    @Test func allocationCounterSeesAllocations() {
        let count = heapAllocations {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 100, alignment: 16)
            p.deallocate()
        }
        #expect(count >= 1, "the malloc interposer must be active for the zero-allocation tests to mean anything")
    }

    @Test(.enabled(if: optimized, "run the README's test command (optimized) to check zero allocations"), arguments: [CompileOptions.all, .none])
    func steadyStateTrainingStepAllocatesNothing(options: CompileOptions) throws {
        for workload in [try TrainingStepGraphs.caseStudy(), try TrainingStepGraphs.mlp(sizes: [8, 16, 4], batchSize: 12)] {
            let session = try Session(graph: workload.graph, options: options)
            let step = try session.makeExecutable(fetch: [workload.loss], targets: workload.updates)
            let x = [Float](repeating: 0.5, count: workload.batchSize * workload.graph[workload.input].shape.elementsPerBatchRow)
            let y = [Float]((0..<(workload.batchSize * workload.graph[workload.labels].shape.elementsPerBatchRow)).map { Float($0 % 2) })
            try x.withUnsafeBufferPointer { xs in
                try y.withUnsafeBufferPointer { ys in
                    for _ in 0..<3 {
                        try step.feed(workload.input, xs)
                        try step.feed(workload.labels, ys)
                        try step.run()
                    }
                    var loss = 0.0
                    let allocations = try heapAllocations {
                        for _ in 0..<20 {
                            try step.feed(workload.input, xs)
                            try step.feed(workload.labels, ys)
                            try step.run()
                            loss += try step.scalar(0)
                        }
                    }
                    #expect(allocations == 0, "\(workload.name) with \(options.passes.count) passes")
                    #expect(loss.isFinite)
                }
            }
        }
    }

    @Test(.enabled(if: optimized, "run the README's test command (optimized) to check zero allocations"), arguments: [1, 3])
    func anOptimizerStepInOneKernelAllocatesNothing(trials: Int) throws {
        // Adam over every parameter as one apply_updates node (what SGD and Adam models run), alone
        // and over 3 trials, with a gradient that is a parameter the step writes (set aside first).
        let g = Graph(dtype: .float32)
        let x = try g.placeholder("x", [Shape.batch, 4]), t = try g.placeholder("t", [Shape.batch, 2])
        let w = try g.variable("w", [4, 2], initialValue: Array(repeating: 0.1, count: 8)), b = try g.variable("b", [2])
        let c = try g.variable("c", [2], initialValue: [1, 2])
        let loss = try g.mean(g.loss(.meanSquaredError, labels: t, predictions: g.relu(g.add(g.matmul(x, w), b))))
        let grads = try g.gradients(of: loss, wrt: [w, b])
        let slots = try [w, b, c].map { v in try ["m", "v"].map { try g.variable("\(g[v].name)/\($0)", g[v].shape, trainable: false) } }
        let step = try g.applyUpdates(.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false), scalar: g.scalar(0.01),
                                      [(w, grads[0], slots[0]), (b, grads[1], slots[1]), (c, g.stopGradient(b), slots[2])])
        let session = try Session(graph: g, trials: trials)
        let run = try session.makeExecutable(fetch: [loss], targets: [step])
        let xs = [Float](repeating: 0.5, count: 12), ys = [Float]((0..<6).map { Float($0 % 2) })
        func once() throws {
            try xs.withUnsafeBufferPointer { xb in
                try ys.withUnsafeBufferPointer { yb in
                    for trial in 0..<trials {
                        try run.feed(x, xb, trial: trial)
                        try run.feed(t, yb, trial: trial)
                    }
                }
            }
            try run.run()
        }
        for _ in 0..<3 { try once() }
        let allocations = try heapAllocations { for _ in 0..<20 { try once() } }
        #expect(allocations == 0, "\(trials) trial(s)")
        #expect(try run.statistics(batchSize: 6).kernelSummaries.contains { $0.contains("apply_updates(adam) 3 parameter(s)") })
    }

    @Test func planningSharesTheArenaAndWritesInPlace() throws {
        let workload = try TrainingStepGraphs.caseStudy()
        let step = try Session(graph: workload.graph).makeExecutable(fetch: [workload.loss], targets: workload.updates)
        let planned = try step.statistics(batchSize: 32)
        #expect(planned.arenaBytes < planned.unplannedBytes)
        #expect(planned.inPlaceCount > 0)
        let unplanned = try Session(graph: workload.graph, options: CompileOptions.all.disabling(.planMemory))
            .makeExecutable(fetch: [workload.loss], targets: workload.updates).statistics(batchSize: 32)
        #expect(unplanned.arenaBytes == unplanned.unplannedBytes)
        #expect(planned.arenaBytes < unplanned.arenaBytes)
        let report = try step.report(batchSize: 32)
        #expect(report.description.contains("arena:"))
        #expect(report.optimized.kernelCount < report.unoptimized.kernelCount)
    }

    @Test func updatesWrittenInPlaceMatchKerasMomentum() throws {
        // One variable, a constant gradient: v ← 0.9·v − 0.1·g, w ← w + v.
        let g = Graph(dtype: .float64)
        let w = try g.variable("w", [2], initialValue: [1, 2])
        let x = try g.placeholder("x", [2])
        let loss = try g.sum(g.mul(w, x))
        let grad = try g.gradients(of: loss, wrt: [w])[0]
        let v = try g.variable("v", [2], trainable: false)
        let newV = try g.sub(g.mul(v, g.scalar(0.9)), g.mul(grad, g.scalar(0.1)))
        let updates = [try g.assign(v, newV), try g.assign(w, g.add(w, newV))]
        let session = try Session(graph: g)
        let step = try session.makeExecutable(fetch: [loss], targets: updates)
        var expectedW = [1.0, 2.0], expectedV = [0.0, 0.0]
        for _ in 0..<4 {
            try step.feed(x, [3.0, -1.0])
            try step.run()
            for i in 0..<2 {
                expectedV[i] = 0.9 * expectedV[i] - 0.1 * [3.0, -1.0][i]
                expectedW[i] += expectedV[i]
            }
        }
        #expect(assertClose(try session.value(of: w).scalars, expectedW, tolerance: 1e-14))
        #expect(assertClose(try session.value(of: v).scalars, expectedV, tolerance: 1e-14))
        #expect(try step.statistics(batchSize: 1).kernelSummaries.allSatisfy { !$0.contains("copy") })
    }

    @Test func assignsReadTheOldValues() throws {
        // A swap: both assigns must see the values from before the run.
        let g = Graph(dtype: .float64)
        let a = try g.variable("a", [2], initialValue: [1, 2])
        let b = try g.variable("b", [2], initialValue: [3, 4])
        let s = try g.placeholder("s", [])
        let swap = [try g.assign(a, b), try g.assign(b, a)]
        let read = try g.mul(a, s)
        let session = try Session(graph: g)
        let out = try session.run(feeds: [s: Tensor(scalar: 10)], fetch: [read], targets: swap)
        #expect(out[0].scalars == [10, 20])
        #expect(try session.value(of: a).scalars == [3, 4])
        #expect(try session.value(of: b).scalars == [1, 2])
    }
}
