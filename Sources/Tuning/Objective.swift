import Models

/// What a search optimizes: a metric, a direction, and optionally a target that ends the search.
///
/// Keras Tuner scores a trial by the best epoch's value of the metric in each execution, averaged
/// over the executions (`.bestEpoch`); W&B by the metric's last logged value (`.last`).
public struct Objective: Sendable, Equatable, CustomStringConvertible {
    public enum Direction: String, Sendable, Codable {
        case minimize
        case maximize
    }

    /// How a run's history of the metric becomes the run's value.
    public enum Aggregation: String, Sendable, Codable {
        /// The best epoch's value (ties keep the earlier epoch), as Keras Tuner.
        case bestEpoch = "best_epoch"
        /// The last logged value, as W&B.
        case last
    }

    public var name: String
    public var direction: Direction
    /// The search ends once a trial's score reaches it (W&B's `metric.target`).
    public var target: Double?
    public var aggregation: Aggregation

    public init(name: String, direction: Direction, target: Double? = nil, aggregation: Aggregation = .bestEpoch) {
        self.name = name
        self.direction = direction
        self.target = target
        self.aggregation = aggregation
    }

    public static func maximize(_ name: String) -> Objective { Objective(name: name, direction: .maximize) }
    public static func minimize(_ name: String) -> Objective { Objective(name: name, direction: .minimize) }

    /// Keras Tuner's inference from a name: losses and errors are minimized, accuracies and
    /// areas maximized (`val_` stripped).
    public static func inferred(_ name: String) throws -> Objective {
        let base = name.hasPrefix("val_") ? String(name.dropFirst(4)) : name
        if ["loss", "mse", "mae", "msle", "crossentropy", "mean_squared_error", "mean_absolute_error"].contains(where: base.hasSuffix) {
            return .minimize(name)
        }
        if ["acc", "accuracy", "auc", "precision", "recall"].contains(where: base.hasSuffix) { return .maximize(name) }
        throw TuningError.invalidSearch("cannot tell whether \(name) should be minimized or maximized; give the objective as .minimize(\"\(name)\") or .maximize(\"\(name)\")")
    }

    /// Whether `a` is strictly better than `b` (NaN is never better; anything beats NaN).
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        if a.isNaN { return false }
        if b.isNaN { return true }
        return direction == .maximize ? a > b : a < b
    }

    /// The value of one run's history of the metric (nil when it holds no number).
    public func value(of history: [Double]) -> Double? {
        switch aggregation {
        case .last:
            // The last value as logged: a run that ended in NaN has no score (W&B imputes the
            // worst), rather than the score of an earlier epoch.
            guard let last = history.last, !last.isNaN else { return nil }
            return last
        case .bestEpoch:
            var best: Double?
            for v in history where !v.isNaN && (best.map { isBetter(v, than: $0) } ?? true) { best = v }
            return best
        }
    }

    /// Whether `score` reaches the target (≥ when maximizing, ≤ when minimizing).
    public func reachesTarget(_ score: Double) -> Bool {
        guard let target, !score.isNaN else { return false }
        return direction == .maximize ? score >= target : score <= target
    }

    public var description: String { "Objective(name=\"\(name)\", direction=\"\(direction == .maximize ? "max" : "min")\")" }
}

extension Objective {
    /// Why a run's history gives no score: never logged, or not a number at the end.
    func missingScoreReason(_ history: History) -> String {
        let values = history.values(of: name) ?? []
        if values.isEmpty {
            return "the metric \(name) was not logged (the run logged \(history.keys.joined(separator: ", "))); name one of those in the objective or metric.name, or give validation data for val_ metrics"
        }
        return "the metric \(name) is NaN \(aggregation == .last ? "at the end" : "in every epoch") (the run diverged): lower the learning rate, clip gradients, or scale the data"
    }
}
