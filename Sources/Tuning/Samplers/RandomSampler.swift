import Foundation
import Tracking

/// Random search: each active parameter takes the value at a quantile drawn from the sweep seed,
/// the trial number and the parameter's name ("try random values: don't use a grid").
///
/// With `skipsDuplicates` (Keras Tuner's `RandomSearch`), a configuration already tried is drawn
/// again, up to `maxCollisions` times in a row, after which the search ends (the space is
/// exhausted); without (W&B's `random`), repeats are allowed and the search never ends by itself.
public struct RandomSampler: Sampler {
    public var skipsDuplicates: Bool
    public var maxCollisions: Int

    public init(skipsDuplicates: Bool = false, maxCollisions: Int = 20) {
        self.skipsDuplicates = skipsDuplicates
        self.maxCollisions = maxCollisions
    }

    public func propose(_ context: SamplingContext) throws -> [String: ConfigValue]? {
        for attempt in 0...maxCollisions {
            let config = context.space.configuration { parameter in
                SweepSeeds.quantile(context.seed, trial: context.trial, attempt: attempt, name: parameter.name)
            }
            guard skipsDuplicates, context.previous.contains(where: { $0.config == config }) else { return config }
        }
        return nil
    }

    public func capacity(_ space: SearchSpace) throws -> Int? { nil }

    public var needsHistory: Bool { skipsDuplicates }
}

/// Grid search: the space's full cartesian product in a stable order (the first parameter
/// slowest, the last fastest; an inactive parameter does not multiply it); trial `n` is the `n`th.
public struct GridSampler: Sampler {
    private let cache = GridCache()

    public init() {}

    public func propose(_ context: SamplingContext) throws -> [String: ConfigValue]? {
        let grid = try cache.grid(context.space)
        return context.trial < grid.count ? grid[context.trial] : nil
    }

    public func capacity(_ space: SearchSpace) throws -> Int? { try space.gridCount() }

    public var needsHistory: Bool { false }
}

/// A space's grid, enumerated once (a sweep proposes from it at every claim).
final class GridCache: @unchecked Sendable {
    private let lock = NSLock()
    private var key: String?
    private var configurations: [[String: ConfigValue]] = []

    func grid(_ space: SearchSpace) throws -> [[String: ConfigValue]] {
        lock.lock()
        defer { lock.unlock() }
        if key != space.description {
            configurations = try space.grid()
            key = space.description
        }
        return configurations
    }
}
