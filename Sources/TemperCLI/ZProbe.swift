import ArgumentParser
import Foundation
import Models
import CaseStudies
import Tracking
import Runtime

struct ZProbe: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "zprobe", shouldDisplay: false)
    func run() throws {
        BLAS.setThreads(1)
        let study = try BatchNormCaseStudy(variants: [.after], seeds: 1, epochs: 100, recordHistograms: false)
        func t(_ label: String, _ body: () throws -> Void) rethrows { let s = Date(); try body(); print(label, String(format: "%.2f ms", Date().timeIntervalSince(s) * 1000)) }
        for _ in 0..<2 {
            let model = BatchNormVariant.after.model(seed: 1)
            try t("compile") { try model.compile(optimizer: SGD(learningRate: 0.01, momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy]) }
            let tracker = try Tracker(dir: "/tmp/probe2/store")
            let run = try tracker.start(project: "p")
            final class Timed: Callback {
                let inner: TrackingCallback; var seconds = 0.0
                init(_ inner: TrackingCallback) { self.inner = inner }
                var wantsBatchGradients: Bool { true }
                func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws { let s = Date(); try inner.onEpochEnd(epoch, logs: logs, training); seconds += Date().timeIntervalSince(s) }
            }
            let timed = Timed(TrackingCallback(run, finishRunAtEnd: false))
            try t("fit with callback") { _ = try model.fit(x: study.train.x, y: study.train.y, batchSize: 32, epochs: 100, validationData: (study.test.x, study.test.y), callbacks: [timed], verbose: 0) }
            print("  onEpochEnd total", String(format: "%.2f ms", timed.seconds * 1000))
            try t("finish") { try run.finish() }
            try t("fit plain") { _ = try model.fit(x: study.train.x, y: study.train.y, batchSize: 32, epochs: 100, validationData: (study.test.x, study.test.y), verbose: 0) }
        }
    }
}
