/// Asynchronous successive halving, ASHA (Li et al., "A System for Massively Parallel
/// Hyperparameter Tuning", MLSys 2020), in its stopping form (as Optuna's
/// `SuccessiveHalvingPruner` and Ray Tune's `ASHAScheduler` apply it):
///
/// - Rungs, in epochs (the number of times the objective was logged): `r·η^(s+k)` for
///   k = 0, 1, … (truncated to whole epochs), below `maxIter` when it is given — `r` is `minIter`,
///   `s` the minimum early-stopping rate.
/// - When a run logs its value at a rung, it is ranked among the values that the runs of earlier
///   trials had at that rung (its own included; `n` values in all). It goes on when it is within
///   the best `max(1, ⌊n/η⌋)` — ties go on — and stops otherwise: the promotion rule of ASHA,
///   with the best run so far always going on (Optuna's rule), so the first trials are not stopped
///   for want of company.
/// - A run whose value at a rung is not a number stops there. Earlier runs' non-numbers, and runs
///   that ended before the rung, do not count.
public struct ASHA: StoppingPolicy, Equatable {
    public let minIter: Int
    public let eta: Double
    public let minEarlyStoppingRate: Int
    public let maxIter: Int?
    public let direction: Objective.Direction
    /// The rungs, in epochs, ascending.
    public let rungs: [Int]

    /// - Throws: `TuningError.invalidSearch` unless `minIter ≥ 1`, `η > 1`, `s ≥ 0` and `maxIter ≥ 1`.
    public init(minIter: Int = 1, eta: Double = 3, minEarlyStoppingRate: Int = 0, maxIter: Int? = nil, direction: Objective.Direction) throws {
        guard minIter >= 1 else { throw TuningError.invalidSearch("early_terminate: min_iter must be at least 1, got \(minIter)") }
        guard eta > 1, eta.isFinite else { throw TuningError.invalidSearch("early_terminate: eta must be a number above 1, got \(eta)") }
        guard minEarlyStoppingRate >= 0, minEarlyStoppingRate <= 64 else {
            throw TuningError.invalidSearch("early_terminate: min_early_stopping_rate must be a whole number from 0 to 64, got \(minEarlyStoppingRate)")
        }
        if let maxIter, maxIter < 1 { throw TuningError.invalidSearch("early_terminate: max_iter must be at least 1, got \(maxIter)") }
        self.minIter = minIter
        self.eta = eta
        self.minEarlyStoppingRate = minEarlyStoppingRate
        self.maxIter = maxIter
        self.direction = direction
        rungs = Self.rungs(minIter: minIter, eta: eta, rate: minEarlyStoppingRate, below: maxIter)
    }

    private static func rungs(minIter: Int, eta: Double, rate: Int, below maxIter: Int?) -> [Int] {
        let limit = Double(maxIter ?? Int(Int32.max))  // rungs are whole epochs below it
        var rungs: [Int] = []
        var epochs = Double(minIter)
        for _ in 0..<rate { epochs *= eta }
        while epochs.rounded(.down) < limit {
            let whole = Int(epochs)
            if whole > (rungs.last ?? 0) { rungs.append(whole) }
            epochs *= eta
        }
        return rungs
    }

    public func stopReason(trial: Int, history: [Double], earlier: [EarlierRun]) -> String? {
        guard let rung = rungs.firstIndex(of: history.count) else { return nil }
        return stopReason(atRung: rung, history: history, earlier: earlier, name: "ASHA")
    }

    /// The verdict at rung index `rung`, which `history` has just reached.
    func stopReason(atRung rung: Int, history: [Double], earlier: [EarlierRun], name: String) -> String? {
        let epochs = rungs[rung]
        let own = history[epochs - 1]
        guard own.isFinite else { return "stopped by \(name) at rung \(epochs) (epoch \(epochs)): the value was \(own)" }
        let others = earlier.filter { $0.values.count >= epochs && $0.values[epochs - 1].isFinite }.map { direction.oriented($0.values[epochs - 1]) }
        let ranked = (others + [direction.oriented(own)]).sorted()
        let kept = Swift.max(1, Int(Double(ranked.count) / eta))
        let threshold = ranked[kept - 1]
        guard direction.oriented(own) > threshold else { return nil }
        return "stopped by \(name) at rung \(epochs) (epoch \(epochs)): \(own) was not among the best \(kept) of \(ranked.count) (threshold \(direction.oriented(threshold)))"
    }

    public var summary: String {
        "ASHA at " + RungList.text(rungs) + " epochs (η \(eta))"
    }

    public var signature: [String] {
        ["asha", String(minIter), "\(eta)", String(minEarlyStoppingRate), maxIter.map(String.init) ?? "-"]
    }
}

/// Rungs or bands for a header line: the first four, then an ellipsis.
enum RungList {
    static func text(_ epochs: [Int]) -> String {
        guard !epochs.isEmpty else { return "no rung" }
        return epochs.prefix(4).map(String.init).joined(separator: ", ") + (epochs.count > 4 ? "…" : "")
    }
}
