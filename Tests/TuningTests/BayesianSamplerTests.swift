import Foundation
import Testing
import Models
import Tracking
@testable import Tuning

/// The Gaussian-process sampler on synthetic objectives (a search loop without a store), its lag
/// rule, and a Bayesian tuner giving the same trials at any parallelism.
struct BayesianSamplerTests {
    typealias Past = [(config: [String: ConfigValue], state: TrialState, score: Double?)]

    static let space = try! SearchSpace([
        SearchParameter(name: "x", distribution: try! FloatHyperparameter(name: "x", min: -5, max: 10)),
        SearchParameter(name: "y", distribution: try! FloatHyperparameter(name: "y", min: 0, max: 15)),
    ])

    /// Branin: minimum 0.397887 at (−π, 12.275), (π, 2.275), (9.42478, 2.475).
    static func branin(_ c: [String: ConfigValue]) -> Double {
        let x = c["x"]?.number ?? 0, y = c["y"]?.number ?? 0
        let b = 5.1 / (4 * Double.pi * Double.pi), cc = 5 / Double.pi, t = 1 / (8 * Double.pi)
        return pow(y - b * x * x + cc * x - 6, 2) + 10 * (1 - t) * cos(x) + 10
    }

    /// The best score after `trials` trials of `sampler`, each proposed from the trials before it.
    static func search(_ sampler: any Sampler, trials: Int, seed: UInt64) throws -> (best: Double, past: Past) {
        var past: Past = []
        for trial in 0..<trials {
            let context = SamplingContext(space: space, trial: trial, seed: seed, previous: past, direction: .minimize)
            let config = try #require(try sampler.propose(context))
            past.append((config, .finished, branin(config)))
        }
        return (past.compactMap(\.score).min() ?? .infinity, past)
    }

    @Test func onBraninTheGaussianProcessBeatsRandomSearch() throws {
        var gp: [Double] = [], random: [Double] = []
        for seed in UInt64(1)...5 {
            gp.append(try Self.search(BayesianSampler(initialPoints: 6), trials: 30, seed: seed).best - 0.397887)
            random.append(try Self.search(RandomSampler(), trials: 30, seed: seed).best - 0.397887)
        }
        let median = { (v: [Double]) in v.sorted()[v.count / 2] }
        #expect(median(gp) < 0.1, "GP regrets \(gp)")
        #expect(median(gp) < median(random) / 5, "GP \(gp) vs random \(random)")
    }

    @Test func theSameSeedProposesTheSameTrials() throws {
        let a = try Self.search(BayesianSampler(initialPoints: 4), trials: 10, seed: 3).past.map(\.config)
        let b = try Self.search(BayesianSampler(initialPoints: 4), trials: 10, seed: 3).past.map(\.config)
        #expect(a == b)
    }

    @Test func aProposalIgnoresTheTrialsWithinTheLag() throws {
        let past = try Self.search(BayesianSampler(initialPoints: 4), trials: 9, seed: 2).past
        var changed = past
        changed[8].score = -1000  // trial 8's result, within the lag of trial 9
        changed[7].score = 1000  // trial 7's, also within a lag of 2
        let sampler = BayesianSampler(initialPoints: 4, lag: 2)
        let proposed = { (p: Past) in try sampler.propose(SamplingContext(space: Self.space, trial: 9, seed: 2, previous: p)) }
        #expect(try proposed(past) == proposed(changed))
        // Outside the lag, a result does change the proposal.
        changed[5].score = -1000
        #expect(try proposed(past) != proposed(changed))
    }

    @Test func initialRandomTrialsCountOnlyWhatVaries() throws {
        var space = Self.space
        try space.add(SearchParameter(name: "z", distribution: FixedHyperparameter(.int(3))))
        #expect(BayesianSampler.defaultInitialPoints(space) == 6)
        #expect(BayesianSampler.defaultInitialPoints(try SearchSpace([SearchParameter(name: "c", distribution: FixedHyperparameter(.int(1)))])) == 2)
    }

    @Test func failedTrialsAreImputedNotFatal() throws {
        var past = try Self.search(BayesianSampler(initialPoints: 4), trials: 8, seed: 4).past
        past[5].state = .failed
        past[5].score = nil
        let proposal = try BayesianSampler(initialPoints: 4).propose(SamplingContext(space: Self.space, trial: 8, seed: 4, previous: past))
        #expect(proposal?["x"] != nil && proposal?["y"] != nil)
    }

    @Test func aBayesianTunerGivesTheSameTrialsAtAnyParallelism() throws {
        let (train, test) = try circleData()
        func search(parallel: Int) throws -> [(config: RunConfig, score: Double?)] {
            let dir = temporaryDirectory()
            let tuner = try BayesianOptimization(objective: .maximize("val_accuracy"), maxTrials: 6, numInitialPoints: 2, lag: 1, seed: 5,
                                                 directory: dir, projectName: "bayes", parallel: parallel, deckModel)
            try tuner.search(x: train.x, y: train.y, epochs: 3, batchSize: 16, validationData: test, verbose: 0)
            return try RunStore(directory: dir, access: .readOnly).trials(try #require(tuner.sweep).info.id).map { ($0.config, $0.score) }
        }
        let one = try search(parallel: 1), three = try search(parallel: 3)
        #expect(one.count == 6 && three.count == 6)
        for (a, b) in zip(one, three) {
            #expect(a.config == b.config)
            #expect(a.score == b.score)
        }
    }
}
