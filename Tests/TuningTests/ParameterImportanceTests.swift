import Foundation
import Testing
import Runtime
import Tracking
@testable import Tuning

/// Parameter importance on objectives whose true importances are known.
struct ParameterImportanceTests {
    /// 120 trials with x1, x2, x3 uniform in [0, 1) and a categorical c.
    static func trials(_ f: (Double, Double, Double, String) -> Double) -> [(config: [String: ConfigValue], score: Double)] {
        var random = SeededRandom(seed: 42)
        return (0..<120).map { _ in
            let (a, b, c) = (random.uniform(), random.uniform(), random.uniform())
            let kind = ["relu", "tanh", "sigmoid"][Int(random.next() % 3)]
            return (["x1": .double(a), "x2": .double(b), "x3": .double(c), "act": .string(kind)], f(a, b, c, kind))
        }
    }

    func entry(_ entries: [ParameterImportance.Entry], _ name: String) throws -> ParameterImportance.Entry {
        try #require(entries.first { $0.parameter == name })
    }

    @Test func oneParameterThatMattersAndOnesThatDoNot() throws {
        let entries = try ParameterImportance.compute(Self.trials { a, _, _, _ in -5 * a }, seed: 1)
        #expect(entries.first?.parameter == "x1")
        let x1 = try entry(entries, "x1")
        #expect(x1.importance > 0.9 && x1.varianceExplained > 0.9, "\(x1)")
        #expect(try #require(x1.correlation) < -0.99)
        for name in ["x2", "x3", "act"] {
            let e = try entry(entries, name)
            #expect(e.importance < 0.05 && e.varianceExplained < 0.05, "\(e)")
            #expect(e.importanceInterval.upperBound < x1.importanceInterval.lowerBound)
        }
        #expect(try entry(entries, "act").correlation == nil)
    }

    @Test func anInteractionHasImportanceButLittleMainEffect() throws {
        // (x1 − ½)(x3 − ½): each alone explains nothing on average, together everything.
        let entries = try ParameterImportance.compute(Self.trials { a, _, c, _ in (a - 0.5) * (c - 0.5) }, seed: 1)
        let x1 = try entry(entries, "x1"), x3 = try entry(entries, "x3"), x2 = try entry(entries, "x2")
        #expect(x1.importance > 0.25 && x3.importance > 0.25 && x2.importance < x1.importance / 2, "\(entries)")
        #expect(x1.varianceExplained + x3.varianceExplained < 0.4, "\(entries)")
    }

    @Test func aCategoricalThatMattersIsFound() throws {
        let entries = try ParameterImportance.compute(Self.trials { a, _, _, kind in (kind == "relu" ? 1 : 0) + 0.1 * a }, seed: 1)
        #expect(entries.first?.parameter == "act")
        #expect(try entry(entries, "act").varianceExplained > 0.8)
    }

    @Test func theSameTrialsGiveTheSameNumbers() throws {
        let trials = Self.trials { a, b, _, _ in a + 0.3 * b }
        #expect(try ParameterImportance.compute(trials, seed: 3) == ParameterImportance.compute(trials, seed: 3))
        #expect(throws: TuningError.self) { try ParameterImportance.compute(Array(trials.prefix(2))) }
    }
}
