import Testing
import Graph
import Runtime
import GradientCheck

struct SuiteTests {
    static let results = GradientCheckSuite.cases.map { GradientChecker().check($0) }

    @Test func everyCaseMatchesCentralDifferences() {
        for result in Self.results {
            #expect(result.passed, "\(result.op) \(result.detail): max abs error \(result.maxAbsoluteError), failure: \(result.failure ?? "none")")
        }
    }

    @Test func everyDifferentiableOpIsChecked() {
        #expect(GradientCheckSuite.missingCoverage(in: Self.results) == [])
    }
}

struct SuiteProbe {
    @Test func printSummary() {
        let r = SuiteTests.results
        print("cases", r.count, "elements", r.map(\.elements).reduce(0, +), "failed", r.filter { !$0.passed }.count)
        for x in r.prefix(5) { print(x.op, x.detail, x.elements, x.maxAbsoluteError, x.maxRelativeError, x.failure ?? "") }
        print(r.filter { $0.op.hasPrefix("batch") || $0.op.hasPrefix("loss") }.map { "\($0.op) \($0.detail) \($0.elements) \($0.maxAbsoluteError)" }.joined(separator: "\n"))
    }
}
