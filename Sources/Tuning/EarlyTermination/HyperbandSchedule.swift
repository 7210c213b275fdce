/// Hyperband's brackets (Li et al., JMLR 2018, Algorithm 1) for a maximum resource `R` (epochs) and
/// a reduction factor `η`: `s_max = ⌊log_η R⌋`, and for each `s = s_max … 0` a successive-halving
/// bracket that starts `n = ⌈(s_max + 1)/(s + 1) · η^s⌉` configurations on `r = R·η^−s` epochs and
/// at rung `i` keeps `n_i = ⌊n·η^−i⌋` of them for `r_i = r·η^i` epochs.
///
/// Everything is integer arithmetic: `s_max` is the largest `s` with `η^s ≤ R`, so `R = 243, η = 3`
/// gives 5 where `log(243)/log(3)` is 4.999… in floating point.
public struct HyperbandSchedule: Sendable, Equatable {
    /// One rung of a bracket: `configurations` trained to `epochs`.
    public struct Rung: Sendable, Equatable {
        public var configurations: Int
        public var epochs: Double
        public init(configurations: Int, epochs: Double) {
            self.configurations = configurations
            self.epochs = epochs
        }
    }

    public let maxResource: Int
    public let eta: Int
    /// `⌊log_η R⌋`.
    public let sMax: Int
    /// The brackets for `s = s_max` down to 0, each its rungs in order.
    public let brackets: [[Rung]]

    /// - Throws: `TuningError.invalidSearch` unless `maxResource ≥ 1` and `eta ≥ 2`.
    public init(maxResource: Int, eta: Int) throws {
        guard maxResource >= 1, maxResource <= 1_000_000, eta >= 2, eta <= 1_000_000 else {
            throw TuningError.invalidSearch("hyperband needs a maximum resource from 1 to 1,000,000 and η from 2 to 1,000,000, got R = \(maxResource) and η = \(eta)")
        }
        self.maxResource = maxResource
        self.eta = eta
        var sMax = 0, power = 1
        while power <= maxResource / eta { power *= eta; sMax += 1 }
        self.sMax = sMax
        brackets = (0...sMax).reversed().map { s in Self.bracket(s: s, sMax: sMax, maxResource: maxResource, eta: eta) }
    }

    private static func bracket(s: Int, sMax: Int, maxResource: Int, eta: Int) -> [Rung] {
        let etaToS = (0..<s).reduce(1) { p, _ in p * eta }
        let n = ((sMax + 1) * etaToS + s) / (s + 1)  // ⌈(s_max + 1)·η^s / (s + 1)⌉
        var rungs: [Rung] = []
        var keep = n, etaToI = 1
        for _ in 0...s {
            rungs.append(Rung(configurations: keep, epochs: Double(maxResource) * Double(etaToI) / Double(etaToS)))
            keep = n / (etaToI * eta)
            etaToI *= eta
        }
        return rungs
    }
}
