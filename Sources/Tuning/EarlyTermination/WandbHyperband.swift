/// W&B's `early_terminate: {type: hyperband}` rule, as its sweep controller applies it to running runs.
///
/// - Bands, in iterations (the number of times the metric was logged): with `min_iter`,
///   `min_iter·η^k` for k = 0, 1, … (truncated to integers); with `max_iter` and `s`, `max_iter/η^k`
///   for k = 1 … s while it is at least 1, sorted.
/// - At each band `b`, the threshold is the value at index `⌊n/η⌋` of the sorted values that the
///   `n` runs with at least `b` values logged had at iteration `b` (minimizing; a maximized metric
///   is negated), or +∞ when no run got there.
/// - A run is stopped at the last band it reached when its value there (`strict`, W&B's default)
///   or its best value so far (not strict) is worse than that band's threshold.
///
/// Non-finite values are left out of every history, as W&B leaves out values that are not numbers.
public struct WandbHyperband: StoppingPolicy, Equatable {
    public let bands: [Int]
    public let eta: Double
    public let strict: Bool
    public let direction: Objective.Direction

    /// Bands from the first one, `min_iter`, growing by `η`.
    public init(minIter: Int, eta: Double = 3, strict: Bool = true, direction: Objective.Direction) throws {
        guard minIter >= 1 else { throw TuningError.invalidSearch("early_terminate: min_iter must be at least 1, got \(minIter)") }
        try Self.check(eta)
        var bands: [Int] = []
        var band = Double(minIter)
        while band <= Double(Int32.max) {
            bands.append(Int(band))
            band *= eta
        }
        self.init(bands: bands, eta: eta, strict: strict, direction: direction)
    }

    /// `s` bands working back from `max_iter` by `η`.
    public init(maxIter: Int, s: Int, eta: Double = 3, strict: Bool = true, direction: Objective.Direction) throws {
        try Self.check(eta)
        var bands: [Int] = []
        var band = Double(maxIter)
        for _ in 0..<max(s, 0) {
            band /= eta
            if band < 1 { break }
            bands.append(Int(band))
        }
        guard !bands.isEmpty else {
            throw TuningError.invalidSearch("early_terminate: max_iter \(maxIter), s \(s) and eta \(eta) give no band; increase s or max_iter, or decrease eta")
        }
        self.init(bands: bands.sorted(), eta: eta, strict: strict, direction: direction)
    }

    private init(bands: [Int], eta: Double, strict: Bool, direction: Objective.Direction) {
        self.bands = bands
        self.eta = eta
        self.strict = strict
        self.direction = direction
    }

    private static func check(_ eta: Double) throws {
        guard eta > 1, eta.isFinite else { throw TuningError.invalidSearch("early_terminate: eta must be a number above 1, got \(eta)") }
    }

    /// The threshold at each band, given every run's history (the run being judged included).
    public func thresholds(_ histories: [[Double]]) -> [Double] {
        let oriented = histories.map(orient)
        return bands.map { band in
            let values = oriented.filter { $0.count >= band }.map { $0[band - 1] }.sorted()
            return values.isEmpty ? .infinity : values[Int(Double(values.count) / eta)]
        }
    }

    /// Whether a running run with `history` should stop, given every run's history (its own included).
    public func shouldStop(_ history: [Double], histories: [[Double]]) -> Bool {
        let own = orient(history)
        guard let last = bands.lastIndex(where: { $0 <= own.count }) else { return false }
        let threshold = thresholds(histories)[last]
        let value = strict ? own[bands[last] - 1] : own.min() ?? .infinity
        return value > threshold
    }

    /// Finite values only, negated when maximizing (so smaller is better).
    private func orient(_ history: [Double]) -> [Double] {
        history.filter(\.isFinite).map { direction == .maximize ? -$0 : $0 }
    }

    public func stopReason(trial: Int, history: [Double], earlier: [EarlierRun]) -> String? {
        let histories = earlier.map(\.values) + [history]
        guard shouldStop(history, histories: histories) else { return nil }
        let reached = history.filter(\.isFinite).count
        let index = bands.lastIndex { $0 <= reached } ?? 0
        let threshold = thresholds(histories)[index]
        let shown = direction == .maximize ? -threshold : threshold
        return "stopped by hyperband after \(history.count) epoch\(history.count == 1 ? "" : "s"): at band \(bands[index]) the threshold was \(shown)"
    }

    public var summary: String { "hyperband early termination at \(RungList.text(bands)) epochs" }

    /// As stored by the first Temper with early termination, so its sweeps resume.
    public var signature: [String] { ["hyperband", bands.prefix(8).map(String.init).joined(separator: ","), "\(eta)", "\(strict)"] }
}
