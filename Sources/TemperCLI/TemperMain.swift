import ArgumentParser
import Foundation
import Runtime
import Tracking

/// `temper`: the command line of the Temper toolkit (run by the `temper` and `temper-postgres`
/// programs).
public enum TemperMain {
    public static func main() {
        // OpenBLAS on a CPU newer than itself falls back to generic kernels (4× slower GEMM).
        BLAS.reexecuteWithRecommendedCoreType()
        let arguments = Array(CommandLine.arguments.dropFirst())
        if namesPostgresStore(arguments) && !StoreEngines.canOpen(scheme: "postgres") {
            // `temper` has no PostgreSQL client: the program that has one runs the command.
            do {
                try CompanionProgram(name: "temper-postgres").exec(arguments)
            } catch {
                Temper.exit(withError: error)
            }
        }
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

/// The subcommands that open a run store in this program (`dashboard` and `bench` run programs
/// that open PostgreSQL stores themselves).
let storeSubcommands: Set<String> = ["casestudy", "lab", "example", "train", "sweep", "sweeps", "agent", "store", "runs", "run", "report"]

/// Whether the command opens a PostgreSQL store: a subcommand that opens a store, with an
/// argument (`--store URL`, `--store=URL`, `--to URL`) or `TEMPER_STORE` that is a `postgres://`
/// or `postgresql://` URL.
func namesPostgresStore(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
    guard let subcommand = arguments.first(where: { !$0.hasPrefix("-") }), storeSubcommands.contains(subcommand) else { return false }
    let values = arguments.map { argument -> String in
        guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else { return argument }
        return String(argument[argument.index(after: equals)...])
    }
    let explicit = values.contains { StoreLocation($0, environment: [:]).isPostgres }
    let usesDefault = !arguments.contains { $0 == "--store" || $0 == "--dir" || $0.hasPrefix("--store=") || $0.hasPrefix("--dir=") }
    return explicit || (usesDefault && StoreLocation(nil, environment: environment).isPostgres)
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
        subcommands: [CaseStudyCommand.self, LabCommand.self, ExampleCommand.self, TrainCommand.self, SweepCommand.self, SweepsCommand.self, AgentCommand.self, StoreCommand.self, RunsCommand.self, RunCommand.self, ReportCommand.self, DotCommand.self, GradcheckCommand.self, BenchCommand.self, ProfileCommand.self, DashboardCommand.self]
    )
}
