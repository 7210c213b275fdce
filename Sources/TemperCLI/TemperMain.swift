import ArgumentParser
import Foundation
import Runtime

/// `temper`: the command line of the Temper toolkit.
@main
enum TemperMain {
    static func main() {
        // OpenBLAS on a CPU newer than itself falls back to generic kernels (4× slower GEMM).
        BLAS.reexecuteWithRecommendedCoreType()
        var command: ParsableCommand
        do {
            command = try Temper.parseAsRoot()
        } catch {
            Temper.exit(withError: error)
        }
        do {
            try command.run()
        } catch {
            Temper.exit(withError: VisibleError.wrapping(error))
        }
    }
}

/// An error whose message may quote a store or a file (a run's name, a config key): printed with
/// its control characters escaped (`TerminalText`), line breaks kept.
struct VisibleError: Error, CustomStringConvertible {
    let description: String

    /// ArgumentParser's own errors as they are (they format usage and exit codes); messages of
    /// `ValidationError` and every other error escaped.
    static func wrapping(_ error: Error) -> Error {
        // ArgumentParser's own errors (help requests among them) keep their type: it formats them.
        if error is ExitCode || error is CleanExit || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") { return error }
        if let validation = error as? ValidationError { return ValidationError(escaped(validation.message)) }
        return VisibleError(description: escaped("\(error)"))
    }

    private static func escaped(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.visible(String($0)) }.joined(separator: "\n")
    }
}

struct Temper: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "temper",
        abstract: "Train neural networks well: a graph compiler on OpenBLAS, with checks and benchmarks.",
        subcommands: [CaseStudyCommand.self, TrainCommand.self, SweepCommand.self, SweepsCommand.self, AgentCommand.self, RunsCommand.self, RunCommand.self, ReportCommand.self, DotCommand.self, GradcheckCommand.self, BenchCommand.self, ProfileCommand.self, DashboardCommand.self]
    )
}
