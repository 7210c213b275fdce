import Foundation
import Tracking
import Tuning

/// What a sweep costs besides training: a sweep of `trials` trials of a 1-epoch model (the deck's
/// case-study spec, Examples/train/casestudy.yaml, trained in-process as `temper sweep` trains
/// it), one at a time, against the time its trials spent building and training models.
public enum SweepBenchmark {
    public struct Figures: Codable, Sendable {
        public var trials: Int
        public var epochs: Int
        /// The whole sweep, from the first claim until the last run is written.
        public var seconds: Double
        /// Time inside the trials: each one's run (registration, metric logging), reading the
        /// spec, building and training its model.
        public var trialSeconds: Double
        /// Of which building and training models.
        public var trainingSeconds: Double
        /// The share of the sweep's time outside its trials: claiming, sampling, recording results.
        public var sweepOverheadPercent: Double { (1 - trialSeconds / seconds) * 100 }
        /// The share outside building and training models (the runs' logging counted as overhead).
        public var overheadPercent: Double { (1 - trainingSeconds / seconds) * 100 }
    }

    public static func run(spec path: String, trials: Int = 100, epochs: Int = 1) throws -> Figures {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("temper-sweep-bench-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sweepFile = directory + "/sweep.yaml"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
        program: \(path)
        method: random
        run_cap: \(trials)
        metric: {name: val_accuracy, goal: maximize}
        parameters:
          epochs: {value: \(epochs)}
          layer_1: {values: [10, 25, 50, 100]}
          learn_rate: {distribution: log_uniform_values, min: 0.001, max: 0.1}
          batchnorm: {values: [none, before, after]}
        """.write(toFile: sweepFile, atomically: true, encoding: .utf8)
        let spec = try SweepSpec.load(sweepFile)
        guard let train = try spec.inProcessTrainSpec() else { throw TuningError.invalidSpec("\(path) is not a Temper train spec") }
        let tracker = try Tracker(dir: directory + "/runs", systemMetricsInterval: nil)
        let (sweep, _) = try Sweep.open(try spec.plan(defaultProject: "bench"), in: tracker.store)
        let runner = try SweepRunner(sweep: sweep, tracker: tracker, executor: try SpecTrialExecutor(spec: train), workers: 1)
        let start = Date()
        try runner.run()
        try tracker.waitUntilWritten()
        return Figures(trials: trials, epochs: epochs, seconds: Date().timeIntervalSince(start), trialSeconds: runner.trialSeconds,
                       trainingSeconds: runner.trainingSeconds)
    }
}
