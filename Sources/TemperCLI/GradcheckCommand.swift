import TerminalOutput
import ArgumentParser
import Foundation
import GradientCheck
import Runtime

struct GradcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcheck",
        abstract: "Check every op's gradient (and small whole models) against central finite differences in Float64.",
        discussion: """
        Each case differentiates Σ c·f(x) for a random cotangent c, compares with central differences \
        (step 1e-6) and passes when |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric| for every element \
        (torch.autograd.gradcheck's tolerances). Every differentiable op of the vocabulary must be \
        covered. Exit status 1 on any failure.
        """
    )

    @Option(help: "Passes to compile with: all, none, or a comma-separated list (e.g. dce,cse,fuse-elementwise).")
    var passes: String = "none"

    @Option(help: "Only cases whose op contains this text.")
    var filter: String?

    @Flag(help: "Also list the exempt vocabulary entries and why.")
    var verbose = false

    func run() throws {
        let options = try CompileOptions.parse(passes)
        let checker = GradientChecker(options: options)
        let cases = GradientCheckSuite.cases.filter { filter == nil || $0.op.contains(filter!) }
        var table = TerminalTable(["op", "case", "input shapes", "elements", "max abs error", "max rel error", "result"])
        var results: [GradientCheckResult] = []
        for c in cases {
            let result = checker.check(c)
            results.append(result)
            table.append([result.op, result.detail, result.shapes, String(result.elements),
                          String(format: "%.2e", result.maxAbsoluteError), String(format: "%.2e", result.maxRelativeError),
                          result.passed ? "pass" : "FAIL" + (result.failure.map { ": \($0)" } ?? "")])
        }
        print(table.render())
        let failed = results.filter { !$0.passed }
        print("\n\(results.count - failed.count) of \(results.count) cases pass (passes: \(passes), step \(checker.step), atol \(checker.absoluteTolerance), rtol \(checker.relativeTolerance))")
        var missing: [String] = []
        if filter == nil {
            missing = GradientCheckSuite.missingCoverage(in: results)
            if missing.isEmpty {
                print("every differentiable op of the vocabulary is covered; \(GradientCheckSuite.exemptions.count) entries are exempt")
            } else {
                print("NOT COVERED by a passing case: \(missing.joined(separator: ", "))")
            }
        }
        if verbose {
            for (name, reason) in GradientCheckSuite.exemptions.sorted(by: { $0.key < $1.key }) { print("  exempt \(name): \(reason)") }
        }
        if !failed.isEmpty || !missing.isEmpty { throw ExitCode(1) }
    }
}
