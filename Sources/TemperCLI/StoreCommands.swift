import ArgumentParser
import Foundation
import Tracking

/// `temper store copy --from A --to B`: moves runs and sweeps between stores.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Work on whole run stores (copy between SQLite and PostgreSQL).",
        subcommands: [StoreCopyCommand.self])
}

struct StoreCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy every sweep and run of one store into another, without loss.",
        discussion: """
            Ids, configurations, histories, histograms and system metrics are copied exactly (numbers bit for bit). \
            Sweeps and runs the target already holds are skipped, so an interrupted copy is finished by running it again; \
            one the target holds as running while the source has it ended (it was copied while it ran) is copied again. \
            The source is only read.
            """)

    @Option(help: "The store to copy from: a directory or a postgres:// URL.") var from: String
    @Option(help: "The store to copy into (created when it is a new directory or an empty database).") var to: String

    func run() throws {
        let source = try RunStore(location: from, access: .readOnly)
        let target = try RunStore(location: to)
        let report = try StoreCopy.copy(from: source, to: target)
        var line = "copied \(report.sweeps) sweep\(report.sweeps == 1 ? "" : "s") (\(report.trials) trials) and \(report.runs) run\(report.runs == 1 ? "" : "s") (\(report.rows) rows of history, summaries, histograms and system metrics) from \(source.path) to \(target.path)"
        if report.skippedSweeps + report.skippedRuns > 0 {
            line += "; skipped \(report.skippedSweeps) sweeps and \(report.skippedRuns) runs the target already holds"
        }
        print(line)
    }
}
