import Charts
import Foundation
import Models
import Tracking

/// What the case study found for one variant, over its seeds.
public struct VariantSummary: Codable, Sendable {
    public var variant: BatchNormVariant
    public var description: String
    /// Per seed, the first epoch where train (Keras' running accuracy) and test accuracy are ≥ 80%.
    public var firstEpochRunning: [Int?]
    /// Per seed, the same with the end-of-epoch training accuracy (inference mode).
    public var firstEpochEndOfEpoch: [Int?]
    public var medianFirstEpochRunning: Int?
    public var medianFirstEpochEndOfEpoch: Int?
    public var finalTrainAccuracyRunning: Double
    public var finalTrainAccuracyEndOfEpoch: Double
    public var finalTestAccuracy: Double
    public var millisecondsPerEpoch: Double

    public init(variant: BatchNormVariant, runs: [CaseStudyRun], threshold: Double = BatchNormCaseStudy.threshold) {
        self.variant = variant
        description = variant.summary
        firstEpochRunning = runs.map { $0.firstEpochReaching(threshold, endOfEpoch: false) }
        firstEpochEndOfEpoch = runs.map { $0.firstEpochReaching(threshold, endOfEpoch: true) }
        medianFirstEpochRunning = Self.median(firstEpochRunning)
        medianFirstEpochEndOfEpoch = Self.median(firstEpochEndOfEpoch)
        func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
        finalTrainAccuracyRunning = mean(runs.compactMap { $0.runningTrainAccuracy.last })
        finalTrainAccuracyEndOfEpoch = mean(runs.compactMap { $0.endOfEpochTrainAccuracy.last })
        finalTestAccuracy = mean(runs.compactMap { $0.testAccuracy.last })
        millisecondsPerEpoch = mean(runs.map(\.millisecondsPerEpoch))
    }

    /// The median, counting a never-reached threshold as later than any epoch (nil if the median is one).
    static func median(_ values: [Int?]) -> Int? {
        guard !values.isEmpty else { return nil }
        let sorted = values.map { $0 ?? Int.max }.sorted()
        let middle = sorted[(sorted.count - 1) / 2]
        return middle == Int.max ? nil : middle
    }
}

/// Renders the case study's results: the terminal table, the JSON file and the pictures.
public enum CaseStudyReport {
    /// The table: per variant the first epoch ≥ 80% (per seed and median) under both training-
    /// accuracy definitions, the final accuracies and the time per epoch.
    public static func table(_ summaries: [VariantSummary], epochs: Int) -> String {
        func epoch(_ e: Int?) -> String { e.map(String.init) ?? "never" }
        let headers = ["variant", "≥80% running (per seed)", "median", "≥80% end-of-epoch (per seed)", "median",
                       "train acc (running)", "train acc (end)", "test acc", "ms/epoch"]
        var rows = [headers]
        for s in summaries {
            rows.append([s.variant.rawValue,
                         s.firstEpochRunning.map(epoch).joined(separator: " "), epoch(s.medianFirstEpochRunning),
                         s.firstEpochEndOfEpoch.map(epoch).joined(separator: " "), epoch(s.medianFirstEpochEndOfEpoch),
                         String(format: "%.3f", s.finalTrainAccuracyRunning), String(format: "%.3f", s.finalTrainAccuracyEndOfEpoch),
                         String(format: "%.3f", s.finalTestAccuracy), String(format: "%.2f", s.millisecondsPerEpoch)])
        }
        var widths = [Int](repeating: 0, count: headers.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = Swift.max(widths[i], cell.count) } }
        func line(_ row: [String]) -> String {
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 || i == 1 || i == 3 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        var lines = [line(rows[0]), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += rows.dropFirst().map(line)
        lines.append("")
        lines.append("\"≥80%\": the first epoch (of \(epochs)) at which both the training and the test accuracy reach 80%.")
        lines.append("running: training accuracy as Keras reports it (mean over the epoch's batches, training mode);")
        lines.append("end-of-epoch: accuracy on the whole training set after the epoch, inference mode (moving statistics).")
        return lines.joined(separator: "\n")
    }

    /// The JSON document `--json` writes: settings, per-variant summaries and every run's curves.
    public static func json(_ summaries: [VariantSummary], runs: [CaseStudyRun], epochs: Int, seeds: Int) throws -> Data {
        struct RunRecord: Codable {
            var variant: String
            var seed: UInt64
            var firstEpochRunning: Int?
            var firstEpochEndOfEpoch: Int?
            var millisecondsPerEpoch: Double
            var trainAccuracyRunning: [Double]
            var trainAccuracyEndOfEpoch: [Double]
            var testAccuracy: [Double]
            var loss: [Double]
            var testLoss: [Double]
        }
        struct Document: Codable {
            var study = "batchnorm"
            var epochs: Int
            var seeds: Int
            var threshold: Double
            var variants: [VariantSummary]
            var runs: [RunRecord]
        }
        let records = runs.map {
            RunRecord(variant: $0.variant.rawValue, seed: $0.seed, firstEpochRunning: $0.firstEpochReaching(BatchNormCaseStudy.threshold, endOfEpoch: false),
                      firstEpochEndOfEpoch: $0.firstEpochReaching(BatchNormCaseStudy.threshold, endOfEpoch: true),
                      millisecondsPerEpoch: $0.millisecondsPerEpoch, trainAccuracyRunning: $0.runningTrainAccuracy,
                      trainAccuracyEndOfEpoch: $0.endOfEpochTrainAccuracy, testAccuracy: $0.testAccuracy,
                      loss: $0.history.values(of: "loss") ?? [], testLoss: $0.history.values(of: "val_loss") ?? [])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(Document(epochs: epochs, seeds: seeds, threshold: BatchNormCaseStudy.threshold, variants: summaries, runs: records))
    }

    /// Writes the pictures into `directory` and returns their paths: per variant, learning curves
    /// (`accuracy-<variant>.svg`, mean over seeds) and the first layer's weight and gradient
    /// histograms per epoch (`weights-<variant>.svg`, `gradients-<variant>.svg`, first seed), and
    /// `test-accuracy.svg` comparing the variants.
    public static func writePictures(runs: [CaseStudyRun], variants: [BatchNormVariant], to directory: String, protecting store: String? = nil) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TrackingError.output("cannot create the folder \(directory): \(OutputFile.reason(error))")
        }
        var written: [String] = []
        func write(_ svg: String, _ name: String) throws {
            let path = (directory as NSString).appendingPathComponent(name)
            try OutputFile.write(svg, to: path, protecting: store)
            written.append(path)
        }
        func meanCurve(_ curves: [[Double]]) -> [Double] {
            let length = curves.map(\.count).max() ?? 0
            return (0..<length).map { i in
                let values = curves.compactMap { i < $0.count ? $0[i] : nil }
                return values.reduce(0, +) / Double(Swift.max(values.count, 1))
            }
        }
        let reference = [(y: BatchNormCaseStudy.threshold, label: "80%")]
        var comparison: [LineChart.Series] = []
        for (index, variant) in variants.enumerated() {
            let mine = runs.filter { $0.variant == variant }
            guard let first = mine.first else { continue }
            let seeds = mine.count
            let chart = LineChart(
                title: "\(variant.rawValue): accuracy per epoch (mean of \(seeds) seed\(seeds == 1 ? "" : "s"))",
                xLabel: "epoch", yLabel: "accuracy",
                series: [
                    .init(name: "train (running, training mode)", values: meanCurve(mine.map(\.runningTrainAccuracy)), color: "#4e79a7"),
                    .init(name: "train (end of epoch, inference)", values: meanCurve(mine.map(\.endOfEpochTrainAccuracy)), color: "#4e79a7", dashed: true),
                    .init(name: "test", values: meanCurve(mine.map(\.testAccuracy)), color: "#e15759"),
                ],
                yRange: 0.4...1, references: reference)
            try write(chart.svg(), "accuracy-\(variant.rawValue).svg")
            comparison.append(.init(name: variant.rawValue, values: meanCurve(mine.map(\.testAccuracy)), color: ChartPalette.color(index)))
            if !first.weightHistograms.isEmpty {
                let weights = HistogramChart(title: "\(variant.rawValue): first Dense layer's kernel per epoch (seed \(first.seed))", yLabel: "weight",
                                             columns: first.weightHistograms.enumerated().map { (Double($0.offset + 1), $0.element) })
                try write(weights.svg(), "weights-\(variant.rawValue).svg")
            }
            if !first.gradientHistograms.isEmpty {
                let gradients = HistogramChart(title: "\(variant.rawValue): gradient of the first Dense kernel per epoch (seed \(first.seed))", yLabel: "gradient",
                                               columns: first.gradientHistograms.enumerated().map { (Double($0.offset + 1), $0.element) })
                try write(gradients.svg(), "gradients-\(variant.rawValue).svg")
            }
        }
        let all = LineChart(title: "Test accuracy per epoch, by variant (mean over seeds)", xLabel: "epoch", yLabel: "test accuracy",
                            series: comparison, yRange: 0.4...1, references: reference)
        try write(all.svg(), "test-accuracy.svg")
        return written
    }
}

