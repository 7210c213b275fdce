import Benchmarks
import Runtime
import Graph
import Foundation

if let core = BLAS.recommendedCoreType() {
    setenv("OPENBLAS_CORETYPE", core, 1)
    let args = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", args)
}
print("core", BLAS.coreName)
let w = CommandLine.arguments.count > 1 ? try TrainingStepGraphs.mlp() : try TrainingStepGraphs.caseStudy()
let session = try Session(graph: w.graph)
let step = try session.makeExecutable(fetch: [w.loss], targets: w.updates)
var random = SeededRandom(seed: 1)
let x = (0..<(w.batchSize * w.graph[w.input].shape.elementsPerBatchRow)).map { _ in Float(random.normal()) }
let y = (0..<(w.batchSize * w.graph[w.labels].shape.elementsPerBatchRow)).map { _ in Float(Int(random.uniform() * 2)) }
for _ in 0..<3 { try step.feed(w.input, x); try step.feed(w.labels, y); try step.run() }
var profile: [Double] = []
let n = CommandLine.arguments.count > 1 ? 10 : 2000
for _ in 0..<n { try step.feed(w.input, x); try step.feed(w.labels, y); try step.run(profile: &profile) }
let stats = try step.statistics(batchSize: w.batchSize)
let total = profile.reduce(0, +)
for (s, t) in zip(stats.kernelSummaries, profile).sorted(by: { $0.1 > $1.1 }) {
    print(String(format: "%9.2f us %5.1f%%  ", t / Double(n) * 1e6, t / total * 100) + s)
}
print("total per step us", total / Double(n) * 1e6)
print("loss", step.scalar(0))
