import Foundation
import Testing
import Tracking
@testable import Tuning

/// Each distribution against its definition: bounds, inclusivity, sample moments over a fine,
/// even grid of quantiles (a deterministic stand-in for many random draws).
struct DistributionTests {
    /// The values at `n` evenly spaced quantiles (k + 0.5) / n.
    func sample(_ d: any Distribution, _ n: Int = 20_000) -> [ConfigValue] { (0..<n).map { d.value(at: (Double($0) + 0.5) / Double(n)) } }
    func numbers(_ d: any Distribution, _ n: Int = 20_000) -> [Double] { sample(d, n).compactMap(\.number) }
    func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
    func variance(_ x: [Double]) -> Double { let m = mean(x); return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count) }

    func wandb(_ kind: WandbDistribution.Kind, _ configure: (inout WandbDistribution) -> Void = { _ in }) throws -> WandbDistribution {
        var d = WandbDistribution(kind: kind)
        configure(&d)
        try d.validate("p")
        return d
    }

    @Test func intUniformIncludesBothEndsEquallyOften() throws {
        let d = try wandb(.intUniform) { $0.min = 1; $0.max = 3; $0.integerBounds = true }
        let values = sample(d, 30_000)
        #expect(Set(values) == [.int(1), .int(2), .int(3)])
        for v in 1...3 { #expect(values.filter { $0 == .int(v) }.count == 10_000) }
    }

    @Test func uniformHasItsMeanAndBounds() throws {
        let x = numbers(try wandb(.uniform) { $0.min = 2; $0.max = 5 })
        #expect(x.allSatisfy { $0 >= 2 && $0 < 5 })
        #expect(abs(mean(x) - 3.5) < 1e-9 && abs(variance(x) - 9.0 / 12) < 1e-6)
    }

    @Test func logUniformTakesNaturalLogExponents() throws {
        // min and max are exponents: e^-9.21 … e^-2.3 ≈ 1e-4 … 0.1.
        let x = numbers(try wandb(.logUniform) { $0.min = -9.21; $0.max = -2.3 })
        #expect(x.allSatisfy { $0 >= exp(-9.21) && $0 <= exp(-2.3) })
        #expect(abs(mean(x.map { log($0) }) - (-9.21 - 2.3) / 2) < 1e-9)
        // The trap: min 0.0001 as a value gives e^0.0001 ≈ 1.0001, not 1e-4.
        #expect(try wandb(.logUniform) { $0.min = 0.0001; $0.max = 0.1 }.value(at: 0).number! > 1)
    }

    @Test func logUniformValuesIsUniformInTheLogBetweenTheValues() throws {
        let x = numbers(try wandb(.logUniformValues) { $0.min = 1e-4; $0.max = 1e-1 })
        #expect(x.allSatisfy { $0 >= 1e-4 && $0 <= 1e-1 })
        #expect(abs(mean(x.map { log10($0) }) - (-2.5)) < 1e-9)
        // Each decade gets a third of the draws.
        let share: Double = Double(x.filter { $0 < 1e-3 }.count) / Double(x.count)
        #expect(abs(share - 1.0 / 3) < 1e-3)
    }

    @Test func invLogUniformBoundsTheLogOfTheReciprocal() throws {
        // log(1/X) uniform on [0, 2]: X in [e^-2, 1].
        let x = numbers(try wandb(.invLogUniform) { $0.min = 0; $0.max = 2 })
        let low: Double = exp(-2) - 1e-12
        #expect(x.allSatisfy { $0 >= low && $0 <= 1 })
        #expect(abs(mean(x.map { -log($0) }) - 1) < 1e-9)
        // inv_log_uniform_values is W&B's log_uniform_values under another name.
        let inv = try wandb(.invLogUniformValues) { $0.min = 1e-4; $0.max = 1e-1 }
        let plain = try wandb(.logUniformValues) { $0.min = 1e-4; $0.max = 1e-1 }
        for u in stride(from: 0.0, to: 1, by: 0.01) { #expect(abs(inv.value(at: u).number! - plain.value(at: u).number!) <= 1e-15) }
    }

    @Test func normalAndLogNormalHaveTheirMoments() throws {
        #expect(abs(Quantiles.standardNormal(0.975) - 1.959963984540054) < 1e-14)
        #expect(abs(Quantiles.standardNormal(1e-10) - -6.361340902404056) < 1e-11)
        #expect(Quantiles.standardNormal(0.5) == 0)
        let x = numbers(try wandb(.normal) { $0.mu = 1; $0.sigma = 2 }, 200_000)
        #expect(abs(mean(x) - 1) < 1e-9 && abs(variance(x).squareRoot() - 2) < 2e-3)
        let y = numbers(try wandb(.logNormal) { $0.mu = 0.5; $0.sigma = 0.25 }, 200_000)
        #expect(y.allSatisfy { $0 > 0 })
        #expect(abs(mean(y.map { log($0) }) - 0.5) < 1e-9)
        #expect(abs(try wandb(.logNormal) { $0.mu = 0.5; $0.sigma = 0.25 }.value(at: 0.5).number! - exp(0.5)) < 1e-15)
    }

    @Test func betaHasItsMoments() throws {
        let x = numbers(try wandb(.beta) { $0.a = 2; $0.b = 5 }, 50_000)
        #expect(x.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(abs(mean(x) - 2.0 / 7) < 1e-6)
        #expect(abs(variance(x) - 10.0 / (49 * 8)) < 1e-5)
        // Beta(1, 1) is uniform.
        let u = try wandb(.beta)
        for p in [0.1, 0.37, 0.9] { #expect(abs(u.value(at: p).number! - p) < 1e-12) }
    }

    @Test func quantizedValuesRoundHalfToEvenAndIntegerQGivesIntegers() throws {
        // q_uniform 0…10, q 2 (an integer): 3 → 1.5 → 2 → 4; 5 → 2.5 → 2 → 4; 7 → 3.5 → 4 → 8.
        let d = try wandb(.qUniform) { $0.min = 0; $0.max = 10; $0.q = .integer(2) }
        #expect(d.value(at: 0.3) == .int(4) && d.value(at: 0.5) == .int(4) && d.value(at: 0.7) == .int(8))
        #expect(Set(sample(d, 1000)).isSubset(of: [0, 2, 4, 6, 8, 10].map { ConfigValue.int($0) }))
        // The default q is 1.0, a float: the values stay floats.
        let float = try wandb(.qUniform) { $0.min = 0; $0.max = 10 }
        #expect(float.value(at: 0.25) == .double(2) && float.value(at: 0.45) == .double(4))
        let logQ = try wandb(.qLogUniformValues) { $0.min = 1; $0.max = 1000; $0.q = .integer(10) }
        #expect(sample(logQ, 500).allSatisfy { if case .int(let v) = $0 { return v % 10 == 0 } else { return false } })
    }

    @Test func categoricalWithProbabilitiesFollowsThem() throws {
        let d = try wandb(.categorical) { $0.values = ["a", "b", "c"]; $0.probabilities = [0.5, 0.3, 0.2] }
        let values = sample(d, 10_000)
        #expect(values.filter { $0 == "a" }.count == 5000 && values.filter { $0 == "b" }.count == 3000 && values.filter { $0 == "c" }.count == 2000)
        let plain = try wandb(.categorical) { $0.values = [1, 2, 3, 4] }
        #expect(sample(plain, 400).filter { $0 == .int(4) }.count == 100)
    }

    @Test func invalidDistributionsNameTheParameter() {
        func rejects(_ kind: WandbDistribution.Kind, _ text: String, _ configure: (inout WandbDistribution) -> Void) {
            var d = WandbDistribution(kind: kind)
            configure(&d)
            #expect { try d.validate("lr") } throws: { "\($0)".contains("lr") && "\($0)".contains(text) }
        }
        rejects(.uniform, "less than max") { $0.min = 3; $0.max = 1 }
        rejects(.uniform, "less than max") { $0.min = 1; $0.max = 1 }
        rejects(.logUniformValues, "must be positive") { $0.min = 0; $0.max = 1 }
        rejects(.logUniform, "overflows") { $0.min = 1; $0.max = 1e4 }
        rejects(.categorical, "sum to") { $0.values = [1, 2]; $0.probabilities = [0.5, 0.6] }
        rejects(.categorical, "one per value") { $0.values = [1, 2]; $0.probabilities = [1] }
        rejects(.beta, "positive") { $0.a = 0 }
        rejects(.qUniform, "q must be positive") { $0.q = .real(0) }
    }

    @Test func gridsEnumerateWhatWandBEnumerates() throws {
        #expect(try wandb(.intUniform) { $0.min = 1; $0.max = 4 }.gridValues("n") == [1, 2, 3, 4])
        // q_uniform's grid is np.arange: max excluded.
        #expect(try wandb(.qUniform) { $0.min = 0; $0.max = 10; $0.q = .integer(5) }.gridValues("q") == [0, 5])
        #expect { try wandb(.uniform).gridValues("lr") } throws: { "\($0)".contains("lr is uniform, which a grid cannot enumerate") }
        #expect { try wandb(.categorical) { $0.values = [1, 2]; $0.probabilities = [0.5, 0.5] }.gridValues("c") } throws: { "\($0)".contains("with probabilities") }
    }
}
