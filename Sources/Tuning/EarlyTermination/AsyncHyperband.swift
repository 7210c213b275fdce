/// Hyperband (Li et al., JMLR 2018) as an early-termination policy: its brackets, each run
/// asynchronously as ASHA (the ASHA paper's §3.2, Optuna's `HyperbandPruner`, Ray Tune's
/// `AsyncHyperBandScheduler`).
///
/// - With `R = ⌊maxIter/minIter⌋` and `s_max = ⌊log_η R⌋` (in integers, see
///   `HyperbandSchedule`), bracket `b = 0 … s_max` is ASHA with minimum early-stopping rate `b`:
///   rungs at `minIter·η^(b+k)` below `maxIter`. Bracket 0 stops most eagerly; bracket `s_max`
///   least (never when `maxIter/minIter` is a power of η, as in the paper).
/// - Trials are dealt to the brackets in proportion to the paper's bracket sizes
///   `n = ⌈(s_max + 1)/(s + 1)·η^s⌉` (s = s_max − b: 81, 34, 15, 8, 5 for R = 81, η = 3), in a
///   fixed interleaved order that depends only on the trial's number (smooth weighted round
///   robin), so every agent deals them alike.
/// - A run is ranked only against the runs of earlier trials of its own bracket.
public struct AsyncHyperband: StoppingPolicy, Equatable {
    public let minIter: Int
    public let maxIter: Int
    public let eta: Int
    public let direction: Objective.Direction
    /// The brackets' ASHA rules, by minimum early-stopping rate.
    public let brackets: [ASHA]
    /// The bracket sizes of the paper, bracket by bracket (the shares of trials).
    public let weights: [Int]
    /// The bracket of each position of the dealing cycle.
    let cycle: [Int]

    /// - Throws: `TuningError.invalidSearch` unless `1 ≤ minIter ≤ maxIter`, `η ≥ 2`, and one
    ///   dealing cycle has at most 100,000 trials.
    public init(minIter: Int = 1, maxIter: Int, eta: Int = 3, direction: Objective.Direction) throws {
        guard minIter >= 1, maxIter >= minIter else {
            throw TuningError.invalidSearch("early_terminate: async_hyperband needs 1 ≤ min_iter ≤ max_iter, got min_iter \(minIter) and max_iter \(maxIter)")
        }
        let schedule = try HyperbandSchedule(maxResource: maxIter / minIter, eta: eta)
        let weights = schedule.brackets.map { $0[0].configurations }
        guard weights.reduce(0, +) <= 100_000 else {
            throw TuningError.invalidSearch("early_terminate: max_iter \(maxIter), min_iter \(minIter) and eta \(eta) make brackets of \(weights.reduce(0, +)) trials; raise min_iter or eta")
        }
        self.minIter = minIter
        self.maxIter = maxIter
        self.eta = eta
        self.direction = direction
        self.weights = weights
        brackets = try (0...schedule.sMax).map { try ASHA(minIter: minIter, eta: Double(eta), minEarlyStoppingRate: $0, maxIter: maxIter, direction: direction) }
        cycle = Self.deal(weights)
    }

    /// Smooth weighted round robin: each position adds every weight to its bracket's credit and
    /// takes the bracket with the most (the first on ties), which then pays the total.
    private static func deal(_ weights: [Int]) -> [Int] {
        let total = weights.reduce(0, +)
        var credit = [Int](repeating: 0, count: weights.count)
        return (0..<total).map { _ in
            for b in weights.indices { credit[b] += weights[b] }
            let chosen = credit.indices.max { credit[$0] < credit[$1] || (credit[$0] == credit[$1] && $0 > $1) } ?? 0
            credit[chosen] -= total
            return chosen
        }
    }

    /// The bracket (minimum early-stopping rate) of trial number `trial`.
    public func bracket(of trial: Int) -> Int { cycle[((trial % cycle.count) + cycle.count) % cycle.count] }

    public func stopReason(trial: Int, history: [Double], earlier: [EarlierRun]) -> String? {
        let b = bracket(of: trial)
        let asha = brackets[b]
        guard let rung = asha.rungs.firstIndex(of: history.count) else { return nil }
        let peers = earlier.filter { bracket(of: $0.trial) == b }
        return asha.stopReason(atRung: rung, history: history, earlier: peers, name: "hyperband bracket \(b)")
    }

    public var summary: String {
        "Hyperband's \(brackets.count) brackets (asynchronous) from \(minIter) to \(maxIter) epochs (η \(eta))"
    }

    public var signature: [String] { ["async_hyperband", String(minIter), String(maxIter), String(eta)] }
}
