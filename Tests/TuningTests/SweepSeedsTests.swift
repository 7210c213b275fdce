import Testing
@testable import Tuning

/// Seeds derived from a sweep's seed must not repeat across sweeps with nearby seeds: with the
/// first mixing function, sweep seed s + 1 gave the quantiles and trial seeds of seed s shifted by
/// one trial (random search with seeds 1 … 10 tried largely the same configurations).
struct SweepSeedsTests {
    @Test func nearbySweepSeedsShareNoQuantileAndNoTrialSeed() {
        var quantiles = Set<Double>(), trialSeeds = Set<UInt64>(), executionSeeds = Set<UInt64>()
        for seed in UInt64(0)...20 {
            for trial in 0...20 {
                quantiles.insert(SweepSeeds.quantile(seed, trial: trial, attempt: 0, name: "x"))
                quantiles.insert(SweepSeeds.quantile(seed, trial: trial, attempt: 1, name: "x"))
                trialSeeds.insert(SweepSeeds.trial(seed, trial))
                executionSeeds.insert(SweepSeeds.execution(SweepSeeds.trial(seed, trial), 0))
                executionSeeds.insert(SweepSeeds.execution(SweepSeeds.trial(seed, trial), 1))
            }
        }
        #expect(quantiles.count == 21 * 21 * 2)
        #expect(trialSeeds.count == 21 * 21)
        #expect(executionSeeds.count == 21 * 21 * 2)
    }

    @Test func quantilesLookUniform() {
        // 10,000 quantiles from consecutive seeds and trials: each tenth of [0, 1) holds 1,000 ± 120.
        var counts = [Int](repeating: 0, count: 10)
        for seed in UInt64(1)...100 {
            for trial in 0..<100 { counts[Int(SweepSeeds.quantile(seed, trial: trial, attempt: 0, name: "lr") * 10)] += 1 }
        }
        #expect(counts.allSatisfy { abs($0 - 1000) < 120 }, "\(counts)")
    }
}
