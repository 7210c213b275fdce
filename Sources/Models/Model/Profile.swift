import Runtime

/// Time per kernel of a compiled model's programs, slowest first.
public struct KernelProfile: Sendable {
    public struct Entry: Sendable {
        public var kernel: String
        public var microseconds: Double
    }
    public var trainingStep: [Entry]
    public var evaluation: [Entry]
}

extension Sequential {
    /// Runs the training step `runs` times on the successive whole batches of `batchSize` rows (in
    /// order, starting over after the last, as an unshuffled fit; the updates are applied, so profile
    /// a copy or accept the steps) and the evaluation on all rows `runs` times, timing every kernel.
    /// (Training on one batch over and over would fit it until its gradients are subnormal, whose
    /// arithmetic is many times slower: not what a fit spends.)
    public func profile(x: Matrix, y: Matrix, batchSize: Int = 32, runs: Int = 100) throws -> KernelProfile {
        guard batchSize >= 1, runs >= 1 else {
            throw ModelError.invalidConfiguration("profiling needs a batch size and a run count of at least 1, not \(batchSize) and \(runs)")
        }
        let compiled = try requireCompiled()
        try checkData(x: x, y: y, compiled: compiled, role: "profiling")
        func measure(_ executable: Executable, rows: Int) throws -> [KernelProfile.Entry] {
            var seconds: [Double] = []
            let batches = Swift.max(x.rows / rows, 1)
            for run in 0..<runs {
                let first = run % batches * rows
                try executable.feed(compiled.x, Array(x.values[(first * x.columns)..<((first + rows) * x.columns)]))
                try executable.feed(compiled.y, Array(y.values[(first * y.columns)..<((first + rows) * y.columns)]))
                try engine { try executable.run(profile: &seconds) }
            }
            let names = try executable.statistics(batchSize: rows).kernelSummaries
            return zip(names, seconds).map { KernelProfile.Entry(kernel: $0, microseconds: $1 / Double(runs) * 1e6) }
                .sorted { $0.microseconds > $1.microseconds }
        }
        let rows = Swift.min(batchSize, x.rows)
        return KernelProfile(trainingStep: try measure(try compiled.trainStep(), rows: rows), evaluation: try measure(try compiled.evaluation(), rows: x.rows))
    }
}
