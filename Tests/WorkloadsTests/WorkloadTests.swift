import Testing
import Graph
import Runtime
import Workloads

struct WorkloadTests {
    @Test func caseStudyStepHasTheDecksShapes() throws {
        let w = try TrainingStepGraphs.caseStudy()
        try w.graph.verify()
        #expect(w.graph[w.input].shape == [Shape.batch, 2])
        let names: [String] = w.graph.trainableVariables.map { w.graph[$0].name }
        #expect(names == ["dense/kernel", "dense/bias", "batch_normalization/gamma", "batch_normalization/beta", "dense_1/kernel", "dense_1/bias"])
        // One optimizer step over the six parameters (each with a velocity), plus two moving statistics.
        #expect(w.updates.count == 1 + 2)
        #expect(w.graph.variables.filter { w.graph[$0].name.hasSuffix("/velocity") }.count == 6)
        #expect(w.gemms.count == 5)
    }

    @Test func gemmListSkipsTheFirstLayersInputGradient() {
        let products = GemmShape.trainingStep(batch: 256, sizes: [784, 1024, 10])
        #expect(products.count == 5)
        #expect(!products.contains { $0.m == 256 && $0.n == 784 })
        let total: Double = products.reduce(0) { $0 + $1.flops }
        let expected: Double = 2 * 256 * Double(784 * 1024 * 2 + 1024 * 10 * 3)
        #expect(total == expected)
    }

    @Test func mlpStepLowersTheLossOnAFixedBatch() throws {
        let w = try TrainingStepGraphs.mlp(sizes: [8, 16, 4], batchSize: 12)
        let step = try Session(graph: w.graph).makeExecutable(fetch: [w.loss], targets: w.updates)
        var random = SeededRandom(seed: 1)
        let x = (0..<96).map { _ in Float(random.normal()) }, y = (0..<12).map { Float($0 % 4) }
        var losses: [Double] = []
        for _ in 0..<30 {
            try step.feed(w.input, x)
            try step.feed(w.labels, y)
            try step.run()
            losses.append(try step.scalar(0))
        }
        #expect(losses.last! < losses.first! * 0.8)
    }

    @Test func dotStagesDiffer() throws {
        let w = try TrainingStepGraphs.caseStudy()
        let forward = try DOTStages.dot(w, stage: .forward), training = try DOTStages.dot(w, stage: .training)
        let optimized = try DOTStages.dot(w, stage: .optimized)
        #expect(forward.count < training.count)
        #expect(!forward.contains("assign") && training.contains("assign"))
        #expect(optimized.contains("fused_batch_norm") && !training.contains("fused_batch_norm"))
    }
}
