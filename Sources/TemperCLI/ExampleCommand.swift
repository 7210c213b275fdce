import ArgumentParser
import Foundation
import TechniqueExamples
import Techniques
import Tracking
import Tuning

struct ExampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example",
        abstract: "Run one of the deck's techniques as an experiment: temper example capacity (temper example --list lists them).",
        discussion: """
        Each example is a sweep file over a train spec (Examples/techniques/NN-name/), shipped with Temper. It trains every \
        setting with several seeds in this process, logs every run to the store, prints the result per setting, and writes \
        the learning curves (and the final score against the varied value) as SVG into --out. Running it again resumes it.
        """
    )

    @Argument(help: "The example: its folder name (01-capacity), its name (capacity) or its number (1).")
    var name: String?

    @Flag(help: "List the examples.")
    var list = false

    @Flag(help: "Each setting once, for 3 epochs (a sweep of its own), for a first look or a test.")
    var quick = false

    @Option(help: "Write the figures and the JSON of the result into this folder (default: examples/<name>).")
    var out: String?

    @Option(name: [.customLong("store"), .customLong("dir")],
            help: "The run store: a directory, or a postgres:// URL (default: $TEMPER_STORE, else $TEMPER_DIR, else ./temper-runs).")
    var store: String?

    @Option(help: "Trials trained at once (threads of this process).")
    var parallel: Int = 1

    func validate() throws {
        if list, let name { throw ValidationError("--list takes no example name (got \(name))") }
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be from 1 to 64, not \(parallel)") }
        if out?.isEmpty == true || store?.isEmpty == true { throw ValidationError("--out and --store must not be empty") }
    }

    func run() throws {
        guard let name, !list else {
            for example in try TechniqueCatalog.all() { print("\(example.name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(example.title)") }
            if !list { print("\nrun one with: temper example NAME [--quick]") }
            return
        }
        let example = try TechniqueCatalog.example(named: name)
        let folder = out ?? "examples/\(example.name)\(quick ? "-quick" : "")"
        let files = ["learning-curves.svg", "final.svg", "gradient-norms.svg", "\(example.name).json"].map { (folder as NSString).appendingPathComponent($0) }
        try OutputFolder.refuseFile(folder)
        let tracker = try Tracker(dir: store)
        try OutputFolder.prepare(folder, files: files, protecting: tracker.store.path)
        print(example.title)
        var run = TechniqueRun(example: example, quick: quick)
        run.workers = parallel
        // Ctrl-C (or SIGTERM) ends running trials at their next epoch and keeps the sweep to resume.
        let stop = StopSignal()
        let interrupts = Interrupts { stop.stop() }
        defer { interrupts.restore() }
        let result: TechniqueResult
        do {
            result = try run.run(tracker: tracker, stop: stop) { print($0); fflush(nil) }
        } catch let stopped as TechniqueInterrupted {
            print(stopped.description)
            throw Interrupts.exitCode ?? ExitCode(130)
        }
        print()
        print(result.table)
        print()
        let figures = result.figures()
        result.files = figures.map { (folder as NSString).appendingPathComponent($0.file) } + [files[3]]
        for (figure, path) in zip(figures, result.files) {
            try OutputFile.write(figure.svg, to: path, protecting: tracker.store.path)
            print("wrote \(TerminalText.visible(path))")
        }
        try OutputFile.writeJSON(result, to: files[3], protecting: tracker.store.path)
        print("wrote \(TerminalText.visible(files[3]))")
        print("the runs: temper sweep show \(result.sweepID)\(store.map { " --store \(shellQuoted(StoreLocation.redactingPasswords($0)))" } ?? "")")
    }
}
