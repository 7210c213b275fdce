import CaseStudies
import Foundation
import Models
import Runtime
import Tracking

/// A whole case-study variant as `temper casestudy batchnorm` trains it — 100 epochs of SGD on
/// 500 points with batch 32, then evaluation on the training and test sets after every epoch —
/// timed like `torch_circles.py` times its loop (model construction and compilation excluded).
public enum CaseStudyBenchmark {
    public struct Figures: Codable, Sendable {
        public var variant: String
        public var epochs: Int
        /// Median milliseconds for the whole `fit` (all epochs, both evaluations).
        public var millisecondsPerRun: Double
        public var microsecondsPerStep: Double
        public var finalTestAccuracy: Double
    }

    public static func run(variant: BatchNormVariant = .after, epochs: Int = 100, repetitions: Int = 5) throws -> Figures {
        let study = try BatchNormCaseStudy(variants: [variant], seeds: 1, epochs: epochs, recordHistograms: false)
        var samples: [Double] = []
        var accuracy = 0.0
        for repetition in 0..<repetitions {
            let run = try study.run(variant, seed: UInt64(repetition + 1))
            samples.append(run.millisecondsPerEpoch * Double(epochs))
            accuracy = run.testAccuracy.last ?? .nan
        }
        samples.sort()
        let median = samples[samples.count / 2]
        let steps = Double(epochs * ((study.train.count + 31) / 32))
        return Figures(variant: variant.rawValue, epochs: epochs, millisecondsPerRun: median, microsecondsPerStep: median * 1000 / steps,
                       finalTestAccuracy: accuracy)
    }

    /// What logging costs the case study, measured on the case study itself: blocks of the whole
    /// study as `temper casestudy batchnorm` trains it (every variant × `seeds` seeds, 100 epochs
    /// each), every run logged to a throwaway store as the command logs it (its config and tags, a
    /// `TrackingCallback` with metrics and weight and gradient histograms every epoch), against the
    /// same block without tracking. A tracked block's time runs from the first `Tracker.start` to
    /// the moment the last run's rows are written (the background writes included). Blocks
    /// alternate, and the overhead is the median over pairs of adjacent blocks of their time ratio,
    /// which a shared machine's drifting speed affects far less than separate medians.
    public struct LoggingFigures: Codable, Sendable {
        /// Runs per block (variants × seeds).
        public var runsPerBlock: Int
        /// Wall milliseconds per run.
        public var millisecondsWithout: Double
        public var millisecondsWith: Double
        /// CPU milliseconds per run over all threads (training, and with tracking the writers).
        public var cpuMillisecondsWithout: Double
        public var cpuMillisecondsWith: Double
        /// Median over block pairs of (tracked wall time / untracked wall time − 1), in percent.
        public var overheadPercent: Double
        /// The same for CPU time over all threads.
        public var cpuOverheadPercent: Double
        /// The same for the training thread's own CPU time (logging calls, and whatever slows it
        /// while the writer works beside it).
        public var trainingThreadOverheadPercent: Double
    }

    public static func loggingOverhead(variants: [BatchNormVariant] = BatchNormVariant.allCases, seeds: Int = 5, epochs: Int = 100,
                                       blocks: Int = 12) throws -> LoggingFigures {
        let study = try BatchNormCaseStudy(variants: variants, seeds: seeds, epochs: epochs, recordHistograms: false)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("temper-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tracker = try Tracker(dir: directory)
        let project = "bench"
        // Warm-up: compile caches, the store's first pages.
        for variant in variants {
            _ = try study.run(variant, seed: 1, loggingTo: nil, project: project)
            _ = try study.run(variant, seed: 1, loggingTo: tracker, project: "warm-up")
        }
        try tracker.waitUntilWritten()
        var without: [(wall: Double, cpu: Double, thread: Double)] = [], with: [(wall: Double, cpu: Double, thread: Double)] = []
        for _ in 0..<blocks {
            without.append(try measure {
                for variant in variants { for seed in 1...seeds { _ = try study.run(variant, seed: seed, loggingTo: nil, project: project) } }
            })
            with.append(try measure {
                for variant in variants { for seed in 1...seeds { _ = try study.run(variant, seed: seed, loggingTo: tracker, project: project) } }
                try tracker.waitUntilWritten()
            })
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let perRun = Double(variants.count * seeds)
        return LoggingFigures(runsPerBlock: variants.count * seeds,
                              millisecondsWithout: median(without.map(\.wall)) / perRun, millisecondsWith: median(with.map(\.wall)) / perRun,
                              cpuMillisecondsWithout: median(without.map(\.cpu)) / perRun, cpuMillisecondsWith: median(with.map(\.cpu)) / perRun,
                              overheadPercent: median(zip(with, without).map { ($0.wall / $1.wall - 1) * 100 }),
                              cpuOverheadPercent: median(zip(with, without).map { ($0.cpu / $1.cpu - 1) * 100 }),
                              trainingThreadOverheadPercent: median(zip(with, without).map { ($0.thread / $1.thread - 1) * 100 }))
    }

    /// Wall, CPU (all threads) and this thread's CPU milliseconds of `body`.
    private static func measure(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double, thread: Double) {
        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        func threadSeconds() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        let wall = Date(), cpu = cpuSeconds(), thread = threadSeconds()
        try body()
        return (Date().timeIntervalSince(wall) * 1000, (cpuSeconds() - cpu) * 1000, (threadSeconds() - thread) * 1000)
    }
}
