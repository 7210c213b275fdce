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

    @Option(name: [.customLong("store"), .customLong("dir")],
            help: "The run store to log every run to: a directory, or a postgres://user:password@host:port/database URL (default: $TEMPER_STORE, else $TEMPER_DIR, else ./temper-runs).")
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
        let chosen = try Self.parseVariants(variants)
        guard seeds > 0, epochs > 0 else { throw ValidationError("--seeds and --epochs must be positive (got \(seeds) and \(epochs))") }
        try checkThreads(threads)
        // Output paths are checked before the store is opened and before training, not after.
        let storePath: String?
        if !noTrack, case .directory(let directory) = StoreLocation(dir) { storePath = RunStore.filePath(directory: directory) } else { storePath = nil }
        if let json { try OutputFile.check(json, protecting: storePath) }
        if let out { try Self.preparePictureFolder(out, protecting: storePath) }
        let tracker = noTrack ? nil : try Tracker(dir: dir)
        BLAS.setThreads(threads)
        let study = try BatchNormCaseStudy(variants: chosen, seeds: seeds, epochs: epochs, recordHistograms: out != nil)
        for variant in chosen {
            print("\(variant.rawValue): \(variant.summary)")
            print(try variant.model(seed: 1).summary())
            print()
        }
        var runs: [CaseStudyRun] = []
        for variant in chosen {
            for seed in 1...seeds {
                let run = try study.run(variant, seed: seed, loggingTo: tracker, project: project)
                runs.append(run)
                // A store that failed for good takes no more runs: say so now, not after training all.
                if let tracker, !tracker.writeFailures.isEmpty { try tracker.waitUntilWritten() }
                let first = run.firstEpochReaching(BatchNormCaseStudy.threshold, endOfEpoch: false).map(String.init) ?? "never"
                print("\(variant.rawValue) seed \(seed): test accuracy \(String(format: "%.3f", run.testAccuracy.last ?? .nan)), ≥80% at epoch \(first), \(String(format: "%.2f", run.millisecondsPerEpoch)) ms/epoch")
            }
        }
        let summaries = chosen.map { v in VariantSummary(variant: v, runs: runs.filter { $0.variant == v }) }
        print()
        print(CaseStudyReport.table(summaries, epochs: epochs))
        if let json {
            try OutputFile.write(try CaseStudyReport.json(summaries, runs: runs, epochs: epochs, seeds: seeds), to: json, protecting: tracker?.store.path)
            print("\nwrote \(json)")
        }
        if let out {
            let files = try CaseStudyReport.writePictures(runs: runs, variants: chosen, to: out, protecting: tracker?.store.path)
            print("\nwrote \(files.count) pictures to \(out) (open test-accuracy.svg first)")
        }
        if let tracker {
            // Every run is written before saying so; a write that failed (disk full, a damaged
            // store) ends the command with an error naming the store, the cause and what was lost.
            try tracker.waitUntilWritten()
            let dirOption = dir.map { " --store \(StoreLocation.redactingPasswords($0))" } ?? ""
            print("\nlogged \(runs.count) runs to \(tracker.store.path); see them with")
            print("  temper runs --project \(project) --sort -val_accuracy\(dirOption)")
            print("  temper report --project \(project) --out report.html\(dirOption)")
        }
    }

    /// The pictures' folder, created now (before training) and checked: not a file, not the store.
    static func preparePictureFolder(_ folder: String, protecting store: String?) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("--out \(folder) is a file; the pictures go into a folder")
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create the folder \(folder): \(OutputFile.reason(error))")
        }
        try OutputFile.check((folder as NSString).appendingPathComponent("test-accuracy.svg"), protecting: store)
    }

    /// The comma-separated variants, each known and named once.
    static func parseVariants(_ text: String) throws -> [BatchNormVariant] {
        let known = BatchNormVariant.allCases.map(\.rawValue).joined(separator: ", ")
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var chosen: [BatchNormVariant] = []
        for name in names {
            guard let variant = BatchNormVariant(rawValue: name) else {
                throw ValidationError(name.isEmpty ? "--variants names an empty variant; known: \(known)" : "unknown variant \"\(name)\"; known: \(known)")
            }
            guard !chosen.contains(variant) else { throw ValidationError("--variants names \(name) twice") }
            chosen.append(variant)
        }
        return chosen
    }
}
