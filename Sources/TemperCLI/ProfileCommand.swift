import TerminalOutput
import ArgumentParser
import Foundation
import CaseStudies
import Models
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

    @Flag(help: "Profile the case-study model (variant after) as fit runs it: the training step on 32 rows and the evaluation after each epoch on the 500 training rows.")
    var model = false

    @Option(help: "With --model: profile the deck's Keras Tuner model instead, Dense(units, relu) → Dense(1, sigmoid) with Adam (learning rate 0.01), as its search trains it (no evaluation of the training set).")
    var units: Int?

    func run() throws {
        try checkThreads(threads)
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, not \(steps)") }
        if let units {
            guard model else { throw ValidationError("--units profiles the Keras Tuner model and needs --model") }
            guard (1...4096).contains(units) else { throw ValidationError("--units must be 1…4096, not \(units)") }
        }
        BLAS.setThreads(threads)
        if model { return try profileModel() }
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

    private func profileModel() throws {
        let study = try BatchNormCaseStudy(variants: [.after], seeds: 1, epochs: 1, recordHistograms: false)
        let model: Sequential
        if let units {
            model = try Sequential(seed: 1) {
                Dense(units, activation: .relu, inputShape: [2])
                Dense(1, activation: .sigmoid)
            }
            try model.compile(optimizer: Adam(learningRate: 0.01), loss: .binaryCrossEntropy, metrics: [.accuracy])
        } else {
            model = BatchNormVariant.after.model(seed: 1)
            try model.compile(optimizer: SGD(learningRate: 0.01, momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
        }
        let profile = try model.profile(x: study.train.x, y: study.train.y, batchSize: 32, runs: steps)
        for (title, entries, rows) in [("training step", profile.trainingStep, 32), ("evaluation", profile.evaluation, study.train.count)] {
            var table = TerminalTable(["µs/run", "share", "kernel"])
            let total = entries.reduce(0) { $0 + $1.microseconds }
            for entry in entries {
                table.append([String(format: "%.2f", entry.microseconds), String(format: "%.1f%%", entry.microseconds / total * 100), entry.kernel])
            }
            print("\(title) (\(rows) rows):")
            print(table.render())
            print(String(format: "total %.1f µs per run over %d kernels\n", total, entries.count))
        }
    }
}
