import Foundation
import Testing
import Runtime
import Tracking
@testable import Tuning

/// TPE against Optuna's definitions (γ, the weights, the kernel widths), its estimator as a
/// density, and its search on Branin and on a space with a categorical parameter that matters.
struct TPESamplerTests {
    @Test func gammaAndWeightsAreOptunasDefaults() {
        #expect([0, 1, 10, 11, 100, 251, 1000].map(TPESampler.gamma) == [0, 1, 1, 2, 10, 25, 25])
        #expect(ParzenEstimator.defaultWeights(3) == [1, 1, 1])
        // n = 30: linspace(1/30, 1, 5) then 25 ones.
        let w = ParzenEstimator.defaultWeights(30)
        let ramp = [1.0 / 30, 1.0 / 30 + (29.0 / 30) / 4, 1.0 / 30 + 2 * (29.0 / 30) / 4, 1.0 / 30 + 3 * (29.0 / 30) / 4, 1]
        #expect(w.count == 30 && zip(w.prefix(5), ramp).allSatisfy { Swift.abs($0 - $1) < 1e-12 } && w.suffix(25).allSatisfy { $0 == 1 })
    }

    @Test func kernelWidthsFollowTheNeighbourRule() {
        // Sorted with the ends: 0, .2, .5, .9, 1. The outer kernels take the inner gap (.3 and .4),
        // the middle one the larger gap (.4); 4 kernels clip below at 1/5.
        let widths = ParzenEstimator.widths([0.5, 0.2, 0.9], kernels: 4)
        #expect(zip(widths, [0.4, 0.3, 0.4, 1]).allSatisfy { Swift.abs($0 - $1) < 1e-12 }, "\(widths)")
        #expect(ParzenEstimator.widths([0.5, 0.51, 0.52], kernels: 4).prefix(3).allSatisfy { $0 == 0.2 })
    }

    @Test func theEstimatorIsADensity() {
        let estimator = ParzenEstimator(observations: [[0.1, 2], [0.15, 0], [nil, 2], [0.8, 1]], dimensions: [.numerical, .categorical(choices: 3)])
        // ∫ Σ_c p(x, c) dx over [0, 1] by the midpoint rule.
        var total = 0.0
        let steps = 20_000
        for i in 0..<steps {
            let x = (Double(i) + 0.5) / Double(steps)
            for c in 0..<3 { total += exp(estimator.logDensity([x, Double(c)])) / Double(steps) }
        }
        #expect(Swift.abs(total - 1) < 1e-6, "\(total)")
        var random = SeededRandom(seed: 3)
        let samples = (0..<2000).map { _ in estimator.sample(&random) }
        #expect(samples.allSatisfy { (0...1).contains($0[0]) && [0, 1, 2].contains($0[1]) })
        // Choice 2 was observed twice of four, so it is drawn most.
        let twos = samples.filter { $0[1] == 2 }.count
        #expect(twos > 800, "\(twos)")
    }

    @Test func onBraninTPEBeatsRandomSearch() throws {
        var tpe: [Double] = [], random: [Double] = []
        for seed in UInt64(1)...7 {
            tpe.append(try BayesianSamplerTests.search(TPESampler(), trials: 60, seed: seed).best - 0.397887)
            random.append(try BayesianSamplerTests.search(RandomSampler(), trials: 60, seed: seed).best - 0.397887)
        }
        let median = { (v: [Double]) in v.sorted()[v.count / 2] }
        #expect(median(tpe) < median(random) / 2, "TPE \(tpe) vs random \(random)")
    }

    @Test func aCategoricalThatMattersIsFound() throws {
        let space = try SearchSpace([
            SearchParameter(name: "kind", distribution: try ChoiceHyperparameter(name: "kind", values: ["a", "b", "c", "d", "e", "f"])),
            SearchParameter(name: "x", distribution: try FloatHyperparameter(name: "x", min: 0, max: 1)),
        ])
        func f(_ c: [String: ConfigValue]) -> Double { (c["kind"] == "d" ? 0 : 1) + pow((c["x"]?.number ?? 0) - 0.3, 2) }
        var found = 0
        for seed in UInt64(1)...5 {
            var past: BayesianSamplerTests.Past = []
            for trial in 0..<40 {
                let config = try #require(try TPESampler().propose(SamplingContext(space: space, trial: trial, seed: seed, previous: past)))
                past.append((config, .finished, f(config)))
            }
            // The category that matters is proposed in at least 7 of the last 20 trials (random
            // search: 20/6 ≈ 3.3), and the optimum is found.
            if past.suffix(20).filter({ $0.config["kind"] == "d" }).count >= 7, (past.compactMap(\.score).min() ?? 1) < 0.01 { found += 1 }
        }
        #expect(found == 5)
    }

    @Test func aProposalIgnoresTheTrialsWithinTheLag() throws {
        let past = try BayesianSamplerTests.search(TPESampler(startupTrials: 4), trials: 12, seed: 2).past
        var changed = past
        changed[11].score = -1000
        let sampler = TPESampler(startupTrials: 4, lag: 1)
        let proposed = { (p: BayesianSamplerTests.Past) in try sampler.propose(SamplingContext(space: BayesianSamplerTests.space, trial: 12, seed: 2, previous: p)) }
        #expect(try proposed(past) == proposed(changed))
        changed[3].score = -1000
        #expect(try proposed(past) != proposed(changed))
    }
}
