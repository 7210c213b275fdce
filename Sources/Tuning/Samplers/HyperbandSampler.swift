import Foundation
import Tracking

/// Keras Tuner's `Hyperband` as a sampler over `HyperbandSchedule`: for each bracket (`s_max`
/// down to 0) and each of `iterations` passes, round 0 draws `n` random configurations trained
/// for `r` epochs; round `i` promotes the best `n_i` of round `i − 1` (by score; failed trials
/// last, ties to the earlier trial) to `r_i` epochs, resuming from the parent's saved weights.
///
/// A trial's configuration carries Keras Tuner's keys beside the hyperparameters:
/// `tuner/epochs` (the epoch it trains to), `tuner/initial_epoch` (where it starts: 0, or the
/// parent's epochs), `tuner/trial_id` (the parent trial, -1 for none), `tuner/bracket` and
/// `tuner/round`. A round's first trial is proposed once every earlier trial has ended, so the
/// promotions — and the trials — are the same at any parallelism.
public struct HyperbandSampler: Sampler {
    struct Slot: Equatable {
        var bracket: Int, round: Int, position: Int
        /// The first trial number of this round, and of the previous round of the bracket.
        var firstOfRound: Int, firstOfPreviousRound: Int?
        var epochs: Int, initialEpoch: Int
    }

    public let schedule: HyperbandSchedule
    public let iterations: Int
    let slots: [Slot]

    public init(maxEpochs: Int, factor: Int = 3, iterations: Int = 1) throws {
        guard iterations >= 1 else { throw TuningError.invalidSearch("hyperband iterations must be at least 1, not \(iterations)") }
        schedule = try HyperbandSchedule(maxResource: maxEpochs, eta: factor)
        let perIteration = schedule.brackets.reduce(0) { $0 + $1.reduce(0) { $0 + $1.configurations } }
        guard perIteration <= 100_000 / iterations else {
            throw TuningError.invalidSearch("Hyperband with maxEpochs \(maxEpochs), factor \(factor) and \(iterations) iteration(s) would run \(perIteration) trials per iteration; lower maxEpochs or raise factor")
        }
        self.iterations = iterations
        var slots: [Slot] = []
        for _ in 0..<iterations {
            for (b, bracket) in schedule.brackets.enumerated() {
                var previous: Int?
                for (round, rung) in bracket.enumerated() {
                    let first = slots.count
                    let epochs = Int(rung.epochs.rounded(.up))
                    let initial = round == 0 ? 0 : Int(bracket[round - 1].epochs.rounded(.up))
                    for position in 0..<rung.configurations {
                        slots.append(Slot(bracket: b, round: round, position: position, firstOfRound: first, firstOfPreviousRound: previous,
                                          epochs: epochs, initialEpoch: initial))
                    }
                    previous = first
                }
            }
        }
        self.slots = slots
    }

    public var needsHistory: Bool { true }
    public var waitsForEarlierTrials: Bool { true }
    public func capacity(_ space: SearchSpace) throws -> Int? { slots.count }

    /// A promoted round waits for every earlier trial (its previous round among them).
    public func endedPrefix(before trial: Int) -> Int? {
        guard trial < slots.count, slots[trial].round > 0 else { return nil }
        return slots[trial].firstOfRound
    }

    public func propose(_ context: SamplingContext) throws -> [String: ConfigValue]? {
        guard context.trial < slots.count else { return nil }
        let slot = slots[context.trial]
        var config: [String: ConfigValue]
        var parent = -1
        if let previous = slot.firstOfPreviousRound {
            let round = context.previous[previous..<slot.firstOfRound].enumerated().map { (number: previous + $0, trial: $1) }
            let ranked = round.sorted { a, b in
                switch (a.trial.score, b.trial.score) {
                case let (x?, y?) where x != y: return context.direction == .maximize ? x > y : x < y
                case (_?, nil): return true
                case (nil, _?): return false
                default: return a.number < b.number
                }
            }
            guard slot.position < ranked.count else { return nil }
            parent = ranked[slot.position].number
            config = ranked[slot.position].trial.config.filter { !$0.key.hasPrefix("tuner/") }
        } else {
            config = context.space.configuration { SweepSeeds.quantile(context.seed, trial: context.trial, attempt: 0, name: $0.name) }
        }
        config["tuner/epochs"] = .int(slot.epochs)
        config["tuner/initial_epoch"] = .int(slot.initialEpoch)
        config["tuner/trial_id"] = .int(parent)
        config["tuner/bracket"] = .int(schedule.sMax - slot.bracket)
        config["tuner/round"] = .int(slot.round)
        return config
    }
}
