import ArgumentParser
import Foundation
import Runtime

/// `temper`: the command line of the Temper toolkit.
@main
enum TemperMain {
    static func main() {
        BLASCoreSelection.reexecuteIfNeeded()
        Temper.main()
    }
}

struct Temper: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "temper",
        abstract: "Train neural networks well: a graph compiler on OpenBLAS, with checks and benchmarks.",
        subcommands: [CaseStudyCommand.self, RunsCommand.self, RunCommand.self, ReportCommand.self, TrackingProbeCommand.self, DotCommand.self, GradcheckCommand.self, BenchCommand.self, ProfileCommand.self]
    )
}

/// OpenBLAS picks its kernels when it is loaded; on a CPU newer than the installed OpenBLAS it
/// falls back to generic SSE kernels (4× slower GEMM). `temper` then re-executes itself once with
/// `OPENBLAS_CORETYPE` set to the kernel set the CPU supports.
enum BLASCoreSelection {
    static func reexecuteIfNeeded() {
        guard let core = BLAS.recommendedCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        var arguments = CommandLine.arguments.map { strdup($0) }
        arguments.append(nil)
        execv("/proc/self/exe", arguments)
        // execv only returns on failure: carry on with the generic kernels.
        unsetenv("OPENBLAS_CORETYPE")
    }
}
