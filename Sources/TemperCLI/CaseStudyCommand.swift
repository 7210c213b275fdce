import ArgumentParser
import CaseStudies
import Foundation
import Models
import Runtime
import Tracking

struct CaseStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "casestudy",
        abstract: "Reproduce the deck's case studies.",
        subcommands: [BatchNormCaseStudyCommand.self]
    )
}

struct BatchNormCaseStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batchnorm",
        abstract: "The batch-normalization case study: circles, Dense 50 → Dense 1, with BN in different places.",
        discussion: """
        Variants: \(BatchNormVariant.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: "; ")). \
        Every variant trains with SGD (lr 0.01, momentum 0.9), batch 32, binary cross-entropy, on the first 500 \
        points of the deck's circles and is tested on the last 500 after every epoch.
        """
    )

    @Option(help: "Comma-separated variants (default: all).")
    var variants: String = BatchNormVariant.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Seeds per variant (1, 2, …).")
    var seeds: Int = 5

    @Option(help: "Epochs per run.")
    var epochs: Int = 100

    @Option(help: "Threads for OpenBLAS (one is fastest for this small model).")
    var threads: Int = 1

    @Option(help: "The run store to log every run to (default: $TEMPER_DIR, else ./temper-runs).")
    var dir: String?

    @Flag(help: "Do not log the runs.")
    var noTrack = false

    @Option(help: "The project the runs are logged under.")
    var project: String = "casestudy-batchnorm"

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    @Option(help: "Write learning curves and weight/gradient histograms (SVG) into this folder.")
    var out: String?

    func run() throws {
        let chosen = try variants.split(separator: ",").map { name -> BatchNormVariant in
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let v = BatchNormVariant(rawValue: trimmed) else {
                throw ValidationError("unknown variant \"\(trimmed)\"; known: \(BatchNormVariant.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return v
        }
        guard seeds > 0, epochs > 0 else { throw ValidationError("--seeds and --epochs must be positive") }
        BLAS.setThreads(threads)
        let study = try BatchNormCaseStudy(variants: chosen, seeds: seeds, epochs: epochs, recordHistograms: out != nil)
        for variant in chosen {
            print("\(variant.rawValue): \(variant.summary)")
            print(try variant.model(seed: 1).summary())
            print()
        }
        let tracker = noTrack ? nil : try Tracker(dir: dir)
        var runs: [CaseStudyRun] = []
        for variant in chosen {
            for seed in 1...seeds {
                let run = try study.run(variant, seed: seed, loggingTo: tracker, project: project)
                runs.append(run)
                let first = run.firstEpochReaching(BatchNormCaseStudy.threshold, endOfEpoch: false).map(String.init) ?? "never"
                print("\(variant.rawValue) seed \(seed): test accuracy \(String(format: "%.3f", run.testAccuracy.last ?? .nan)), ≥80% at epoch \(first), \(String(format: "%.2f", run.millisecondsPerEpoch)) ms/epoch")
            }
        }
        let summaries = chosen.map { v in VariantSummary(variant: v, runs: runs.filter { $0.variant == v }) }
        print()
        print(CaseStudyReport.table(summaries, epochs: epochs))
        if let json {
            try CaseStudyReport.json(summaries, runs: runs, epochs: epochs, seeds: seeds).write(to: URL(fileURLWithPath: json))
            print("\nwrote \(json)")
        }
        if let out {
            let files = try CaseStudyReport.writePictures(runs: runs, variants: chosen, to: out)
            print("\nwrote \(files.count) pictures to \(out) (open test-accuracy.svg first)")
        }
        if let tracker {
            let dirOption = dir.map { " --dir \($0)" } ?? ""
            print("\nlogged \(runs.count) runs to \(tracker.store.path); see them with")
            print("  temper runs --project \(project) --sort -val_accuracy\(dirOption)")
            print("  temper report --project \(project) --out report.html\(dirOption)")
        }
    }
}
