import Tracking

/// What a sampler sees when it proposes trial `trial`: the space, the sweep's seed, and the
/// trials claimed before it (configurations, states, scores).
public struct SamplingContext: Sendable {
    public var space: SearchSpace
    public var trial: Int
    public var seed: UInt64
    /// Every trial before this one, in number order (configurations flat, dotted keys) — when the
    /// sampler's `needsHistory`; else empty.
    public var previous: [(config: [String: ConfigValue], state: TrialState, score: Double?)]
    /// Whether a higher score is better.
    public var direction: Objective.Direction

    public init(space: SearchSpace, trial: Int, seed: UInt64, previous: [(config: [String: ConfigValue], state: TrialState, score: Double?)],
                direction: Objective.Direction = .minimize) {
        self.space = space
        self.trial = trial
        self.seed = seed
        self.previous = previous
        self.direction = direction
    }
}

/// Proposes the next configuration of a search (Optuna's sampler, W&B's `method`): grid and
/// random now; Bayesian (GP, TPE) samplers plug in the same way. A proposal may depend only on
/// the sweep seed, the trial number and what `previous` holds — never on timing — so that one
/// process, many threads and many agents propose the same trials.
public protocol Sampler: Sendable {
    /// The configuration of `context.trial` (flat names, active parameters only), or nil when the
    /// search has nothing more to propose.
    func propose(_ context: SamplingContext) throws -> [String: ConfigValue]?
    /// How many trials the sampler can propose at most (a grid's size), nil when unbounded.
    func capacity(_ space: SearchSpace) throws -> Int?
    /// Whether `propose` reads `previous` (reading every earlier trial costs time on each claim).
    var needsHistory: Bool { get }
    /// How many trials may be proposed in one claim (unlimited unless a sampler says otherwise).
    var maxBatch: Int { get }
    /// For a sampler that learns from results, `k`: trial `i` is proposed from the results of
    /// trials `0 ..< i − k` only, and not before every one of them has ended — so one process,
    /// many threads and many agents propose the same trials (the lag rule). Nil for samplers that
    /// do not learn (grid, random).
    var lag: Int? { get }
    /// How many leading trials must have ended before `trial` is proposed (the lag rule gives
    /// `trial − lag`; Hyperband the first trial of the round). Nil when none need to.
    func endedPrefix(before trial: Int) -> Int?
    /// Whether proposals depend on earlier trials' results (then claims read the history and
    /// results are recorded at once).
    var waitsForEarlierTrials: Bool { get }
}

extension Sampler {
    public var maxBatch: Int { Int.max }
    public var lag: Int? { nil }
    public func endedPrefix(before trial: Int) -> Int? { lag.map { Swift.max(0, trial - $0) } }
    public var waitsForEarlierTrials: Bool { lag != nil }
}

/// Sees each trial's intermediate values and may stop it (Hyperband, ASHA, W&B's
/// `early_terminate`). Trials report one objective value per epoch.
public protocol Terminator: Sendable {
    /// Whether trial `trial`, which has reported `values` so far, should stop now, given what
    /// the other trials reported (`others[n]` for trial `n`).
    func shouldStop(trial: Int, values: [Double], others: [Int: [Double]]) -> Bool
}

/// Seeds derived from a sweep's seed: a trial's from its number, an execution's from its trial's,
/// a parameter's quantile from the trial, the attempt and the parameter's name — pure functions,
/// so they never depend on which process or thread runs what.
public enum SweepSeeds {
    public static func trial(_ sweepSeed: UInt64, _ number: Int) -> UInt64 { mix(sweepSeed, 0x7472_6961_6C00_0000 &+ UInt64(truncatingIfNeeded: number)) }
    public static func execution(_ trialSeed: UInt64, _ execution: Int) -> UInt64 { mix(trialSeed, 0x6578_6563_0000_0000 &+ UInt64(truncatingIfNeeded: execution)) }

    /// A quantile in [0, 1) for `name` in trial `trial` (attempt `attempt` after duplicates).
    static func quantile(_ sweepSeed: UInt64, trial: Int, attempt: Int, name: String) -> Double {
        let bits = mix(mix(mix(sweepSeed, UInt64(truncatingIfNeeded: trial)), UInt64(truncatingIfNeeded: attempt)), fnv1a(name))
        return Double(bits >> 11) * 0x1p-53
    }

    /// `a` and `b` mixed by SplitMix64's finalizer applied twice: `f(f(a + γ) ⊕ (b + δ))`. (A
    /// single affine combination of `a` and `b` before one finalizer let `(s, n + 1)` and
    /// `(s + 1, n)` meet: consecutive sweep seeds shared trials, shifted by one.)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        finalize(finalize(a &+ 0x9E37_79B9_7F4A_7C15) ^ (b &+ 0xD1B5_4A32_D192_ED03))
    }

    /// SplitMix64's finalizer (a bijection of 64-bit words).
    private static func finalize(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a, 64 bits (stable across processes, unlike `Hasher`).
    public static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return hash
    }
}
