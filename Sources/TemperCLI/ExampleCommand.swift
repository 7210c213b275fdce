import ArgumentParser
import Foundation
import TechniqueExamples
import Techniques
import Tracking

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

    func run() throws {
        if list || name == nil {
            for example in try TechniqueCatalog.all() { print("\(example.name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(example.title)") }
            if name == nil && !list { print("\nrun one with: temper example NAME [--quick]") }
            return
        }
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be from 1 to 64, not \(parallel)") }
        if out?.isEmpty == true || store?.isEmpty == true { throw ValidationError("--out and --store must not be empty") }
        let example = try TechniqueCatalog.example(named: name ?? "")
        let folder = out ?? "examples/\(example.name)"
        let tracker = try Tracker(dir: store)
        try BatchNormCaseStudyCommand.preparePictureFolder(folder, protecting: tracker.store.path)
        let jsonPath = (folder as NSString).appendingPathComponent("\(example.name).json")
        for file in ["learning-curves.svg", "final.svg"] { try OutputFile.check((folder as NSString).appendingPathComponent(file), protecting: tracker.store.path) }
        try OutputFile.check(jsonPath, protecting: tracker.store.path)
        print(example.title)
        var run = TechniqueRun(example: example, quick: quick)
        run.workers = parallel
        let result = try run.run(tracker: tracker) { print($0); fflush(nil) }
        print()
        print(result.table)
        print()
        for figure in result.figures() {
            let path = (folder as NSString).appendingPathComponent(figure.file)
            try OutputFile.write(figure.svg, to: path, protecting: tracker.store.path)
            print("wrote \(path)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        try OutputFile.write(try encoder.encode(result), to: jsonPath, protecting: tracker.store.path)
        print("wrote \(jsonPath)")
        print("the runs: temper sweep show \(result.sweepID)\(store.map { " --store \(shellQuoted(StoreLocation.redactingPasswords($0)))" } ?? "")")
    }
}
