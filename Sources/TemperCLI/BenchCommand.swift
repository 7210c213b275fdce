import ArgumentParser
import Foundation

/// `temper bench …` runs `temper-bench …`, built next to `temper`: the benchmarks count heap
/// allocations with an interposed `malloc`, which the shipped `temper` must not link.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed, allocations and memory, with ratios to the peers (runs temper-bench; see temper-bench --help).")

    @Argument(parsing: .captureForPassthrough, help: "temper-bench's options (--workload, --python …).")
    var arguments: [String] = []

    func run() throws {
        try CompanionProgram(name: "temper-bench").exec(arguments)
    }
}
