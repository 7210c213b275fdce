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
        let program = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("temper-bench").path
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw ValidationError("""
                temper bench runs the temper-bench program, which is not built next to temper (\(program)); \
                build it with `swift build -c release --product temper-bench`, or run `swift run -c release temper-bench \(arguments.joined(separator: " "))`
                """)
        }
        var argv = ([program] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(program, argv)
        throw ValidationError("could not run \(program): \(String(cString: strerror(errno)))")
    }
}
