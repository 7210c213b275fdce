import Foundation
import Runtime
import Tracking

/// Which hyperparameters mattered in a sweep, as W&B's "Importance | Correlation" panel shows it,
/// plus a functional-ANOVA measure, each with a bootstrap interval, all seeded (the same trials
/// always give the same numbers).
///
/// - **Importance**: a random forest (`RegressionForest`, scikit-learn's defaults) fitted to
///   configuration → score; each parameter's share of the impurity decrease (W&B's importance).
/// - **Correlation**: Pearson's correlation of a numeric parameter's value with the score (nil for
///   a categorical or constant one), as W&B shows it.
/// - **Variance explained** (fANOVA's main effect, a first-order Sobol index of the forest): the
///   variance over the parameter's values of the forest's mean prediction with the others drawn
///   from their observed values, over the prediction's total variance; the indices sum to at
///   most about 1, less when parameters interact.
/// - **Intervals**: the 5th and 95th percentiles over 20 bootstrap resamples of the trials.
///
/// Values: numbers as they are (trees only compare); a categorical value by its rank among the
/// sorted distinct values; a parameter missing from a trial (inactive) below every value.
public enum ParameterImportance {
    public struct Entry: Sendable, Equatable {
        public var parameter: String
        public var importance: Double
        public var importanceInterval: ClosedRange<Double>
        public var correlation: Double?
        public var varianceExplained: Double
        public var varianceExplainedInterval: ClosedRange<Double>
    }

    /// Entries for the parameters that vary among `trials` (configurations flat, with finite
    /// scores), most important first. Needs at least 3 trials. The intervals come from
    /// `bootstraps` resampled forests (0: no intervals, each one the point itself — about 20
    /// times faster, for a ranking alone).
    public static func compute(_ trials: [(config: [String: ConfigValue], score: Double)], seed: UInt64 = 1, bootstraps: Int = 20) throws -> [Entry] {
        let usable = trials.filter { $0.score.isFinite }
        guard usable.count >= 3 else { throw TuningError.invalidSearch("parameter importance needs at least 3 trials with a score, there are \(usable.count)") }
        let names = Set(usable.flatMap(\.config.keys)).sorted().filter { name in Set(usable.map { $0.config[name] }).count > 1 }
        guard !names.isEmpty else { return [] }
        let x = encode(usable.map(\.config), names)
        let y = usable.map(\.score)
        let forest = RegressionForest(x: x, y: y, seed: seed)
        let explained = mainEffects(forest, x: x, seed: seed)
        var random = SeededRandom(seed: SweepSeeds.mix(seed, 0x626f_6f74))
        var bootImportance = [[Double]](repeating: [], count: names.count), bootExplained = bootImportance
        for b in 0..<Swift.max(0, bootstraps) {
            let rows = (0..<y.count).map { _ in Int(random.next() % UInt64(y.count)) }
            let resampled = RegressionForest(x: rows.map { x[$0] }, y: rows.map { y[$0] }, trees: 50, seed: SweepSeeds.mix(seed, UInt64(b)))
            let effects = mainEffects(resampled, x: x, seed: seed)
            for j in names.indices {
                bootImportance[j].append(resampled.importances[j])
                bootExplained[j].append(effects[j])
            }
        }
        let entries = names.indices.map { j in
            Entry(parameter: names[j], importance: forest.importances[j],
                  importanceInterval: bootstraps > 0 ? interval(bootImportance[j]) : forest.importances[j]...forest.importances[j],
                  correlation: correlation(usable.map { $0.config[names[j]]?.number }, y), varianceExplained: explained[j],
                  varianceExplainedInterval: bootstraps > 0 ? interval(bootExplained[j]) : explained[j]...explained[j])
        }
        return entries.sorted { ($0.importance, $1.parameter) > ($1.importance, $0.parameter) }
    }

    /// Each configuration as a row of numbers, one column per name: numbers as they are, or
    /// (when a value is not a number) every value by its rank among the sorted distinct values;
    /// a missing value below all others.
    static func encode(_ configs: [[String: ConfigValue]], _ names: [String]) -> [[Double]] {
        let columns = names.map { name -> [Double] in
            let values = configs.map { $0[name] }
            if values.allSatisfy({ $0 == nil || ($0?.number != nil && $0?.isString == false) }) {
                let floor = (values.compactMap { $0?.number }.min() ?? 0) - 1
                return values.map { $0?.number ?? floor }
            }
            let categories = Set(values.compactMap { $0?.description }).sorted()
            return values.map { v in v.map { Double(categories.firstIndex(of: $0.description) ?? 0) } ?? -1 }
        }
        return configs.indices.map { i in columns.map { $0[i] } }
    }

    /// First-order Sobol indices of the forest's prediction, the other coordinates drawn from the
    /// observed rows.
    static func mainEffects(_ forest: RegressionForest, x: [[Double]], seed: UInt64) -> [Double] {
        var random = SeededRandom(seed: SweepSeeds.mix(seed, 0x616e_6f76_61))
        let background = (0..<64).map { _ in x[Int(random.next() % UInt64(x.count))] }
        let all = background.map(forest.predict)
        let mean = all.reduce(0, +) / Double(all.count)
        let total = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(all.count)
        guard total > 1e-15, let d = x.first?.count else { return [Double](repeating: 0, count: x.first?.count ?? 0) }
        return (0..<d).map { j in
            let levels = Array(Set(x.map { $0[j] })).sorted()
            let conditional = levels.map { level in
                background.reduce(0) { sum, row in
                    var point = row
                    point[j] = level
                    return sum + forest.predict(point)
                } / Double(background.count)
            }
            // Weighted by how often each level was observed.
            let weights = levels.map { level in Double(x.filter { $0[j] == level }.count) / Double(x.count) }
            let m = zip(conditional, weights).reduce(0) { $0 + $1.0 * $1.1 }
            let variance = zip(conditional, weights).reduce(0) { $0 + $1.1 * ($1.0 - m) * ($1.0 - m) }
            return Swift.min(variance / total, 1)
        }
    }

    static func correlation(_ values: [Double?], _ y: [Double]) -> Double? {
        let pairs = zip(values, y).compactMap { v, s in v.map { ($0, s) } }
        guard pairs.count >= 3 else { return nil }
        let n = Double(pairs.count)
        let mx = pairs.reduce(0) { $0 + $1.0 } / n, my = pairs.reduce(0) { $0 + $1.1 } / n
        let sxy = pairs.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = pairs.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }, syy = pairs.reduce(0) { $0 + ($1.1 - my) * ($1.1 - my) }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    /// The 5th and 95th percentiles (nearest rank).
    static func interval(_ values: [Double]) -> ClosedRange<Double> {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0...0 }
        let low = sorted[Int(0.05 * Double(sorted.count - 1))], high = sorted[Int((0.95 * Double(sorted.count - 1)).rounded(.up))]
        return low...high
    }
}
