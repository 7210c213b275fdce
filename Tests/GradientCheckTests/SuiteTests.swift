import Testing
import Graph
import Runtime
import GradientCheck

struct SuiteTests {
    static let results = GradientCheckSuite.cases.map { GradientChecker().check($0) }

    @Test func everyCaseMatchesCentralDifferences() {
        #expect(Self.results.count > 100)
        for result in Self.results {
            #expect(result.passed, "\(result.op) \(result.detail): max abs error \(result.maxAbsoluteError), failure: \(result.failure ?? "none")")
            #expect(result.elements > 0 || result.failure != nil)
        }
    }

    @Test func everyDifferentiableOpIsChecked() {
        #expect(GradientCheckSuite.missingCoverage(in: Self.results) == [])
    }

    @Test func exemptionsAreVocabularyEntries() {
        let vocabulary = Set(Op.vocabularyNames)
        #expect(GradientCheckSuite.exemptions.keys.allSatisfy { vocabulary.contains($0) })
    }

    @Test func wholeModelsAlsoPassWithEveryPassOn() {
        for testCase in GradientCheckSuite.compositeCases {
            let result = GradientChecker(options: .all).check(testCase)
            #expect(result.passed, "\(result.detail): \(result.maxAbsoluteError) \(result.failure ?? "")")
        }
    }

    @Test func aWrongDerivativeIsCaught() {
        // d/dx sin-like misuse: claim tanh'(x) = 1 by differentiating a stop-gradient path.
        let wrong = GradientCheckCase("tanh", "gradient blocked on purpose", inputs: [CheckInput([3], draw: { $0.normal() })]) { g, x in
            try g.add(g.stopGradient(g.tanh(x[0])), g.mul(x[0], g.scalar(0)))
        }
        let result = GradientChecker().check(wrong)
        #expect(!result.passed)
        #expect(result.maxAbsoluteError > 0.1)
    }

    @Test func missingCoverageIsReported() {
        let withoutExp = Self.results.filter { !$0.vocabulary.contains("exp") }
        #expect(GradientCheckSuite.missingCoverage(in: withoutExp).contains("exp"))
    }
}
