import TerminalOutput
import ArgumentParser
import Foundation
import Runtime
import Workloads

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Time every kernel of a benchmark workload's training step (slowest first)."
    )

    @Option(help: "casestudy or mlp.")
    var workload: ExampleGraph = .casestudy

    @Option(help: "Steps to average over.")
    var steps: Int = 100

    @Option(help: "Threads for OpenBLAS.")
    var threads: Int = 1

    func run() throws {
        try checkThreads(threads)
        BLAS.setThreads(threads)
        let w = try workload.graph()
        let session = try Session(graph: w.graph)
        let step = try session.makeExecutable(fetch: [w.loss], targets: w.updates)
        var random = SeededRandom(seed: 1)
        let x = (0..<(w.batchSize * w.graph[w.input].shape.elementsPerBatchRow)).map { _ in Float(random.normal()) }
        let classes = w.graph[w.labels].shape.rank == 1 ? 10 : 2
        let y = (0..<(w.batchSize * w.graph[w.labels].shape.elementsPerBatchRow)).map { _ in Float(Int(random.uniform() * Double(classes)) % classes) }
        var profile: [Double] = []
        for _ in 0..<3 { try step.feed(w.input, x); try step.feed(w.labels, y); try step.run() }
        for _ in 0..<steps { try step.feed(w.input, x); try step.feed(w.labels, y); try step.run(profile: &profile) }
        let summaries = try step.statistics(batchSize: w.batchSize).kernelSummaries
        let total = profile.reduce(0, +)
        var table = TerminalTable(["µs/step", "share", "kernel"])
        for (summary, seconds) in zip(summaries, profile).sorted(by: { $0.1 > $1.1 }) {
            table.append([String(format: "%.2f", seconds / Double(steps) * 1e6), String(format: "%.1f%%", seconds / total * 100), summary])
        }
        print(table.render())
        print(String(format: "total %.1f µs per step over %d kernels (OpenBLAS core %@)", total / Double(steps) * 1e6, summaries.count, BLAS.coreName))
    }
}
