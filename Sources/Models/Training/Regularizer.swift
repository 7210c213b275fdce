import Graph

/// Weight penalties added to the loss (Keras names and formulas).
public enum Regularizer: Sendable, Equatable {
    /// `l1 · Σ|w|` (Keras default factor 0.01).
    case l1(Double = 0.01)
    /// `l2 · Σw²` (Keras default factor 0.01).
    case l2(Double = 0.01)
    /// `l1 · Σ|w| + l2 · Σw²` (Keras 3's class defaults are 0 for both).
    case l1l2(l1: Double = 0, l2: Double = 0)

    /// The penalty of `w` as a scalar node.
    func penalty(_ w: NodeID, in g: Graph) throws -> NodeID {
        switch self {
        case .l1(let factor): return try g.mul(g.sum(g.abs(w)), g.scalar(factor))
        case .l2(let factor): return try g.mul(g.sum(g.square(w)), g.scalar(factor))
        case .l1l2(let a, let b): return try g.add(Regularizer.l1(a).penalty(w, in: g), Regularizer.l2(b).penalty(w, in: g))
        }
    }
}

/// Constraints applied to a weight after each optimizer step (Keras names and formulas, with
/// Keras' fuzz factor ε = 1e-7).
public enum Constraint: Sendable, Equatable {
    /// Rescales each slice along `axis` (0: each unit's incoming weights of a Dense kernel) to norm
    /// at most `maxValue`: `w · clip(‖w‖, 0, maxValue)/(ε + ‖w‖)`. Keras default 2.
    case maxNorm(Double = 2, axis: Int = 0)
    /// `w/(ε + ‖w‖)` along `axis`.
    case unitNorm(axis: Int = 0)
    /// `max(w, 0)`.
    case nonNegative

    static let epsilon = 1e-7

    /// The constrained value of `w`.
    func apply(_ w: NodeID, in g: Graph) throws -> NodeID {
        switch self {
        case .maxNorm(let maxValue, let axis):
            let norms = try g.sqrt(g.sum(g.square(w), axes: [axis], keepDims: true))
            let desired = try g.clip(norms, lower: 0, upper: maxValue)
            return try g.mul(w, g.div(desired, g.add(norms, g.scalar(Self.epsilon))))
        case .unitNorm(let axis):
            let norms = try g.sqrt(g.sum(g.square(w), axes: [axis], keepDims: true))
            return try g.div(w, g.add(norms, g.scalar(Self.epsilon)))
        case .nonNegative:
            return try g.mul(w, g.compare(.greaterEqual, w, g.scalar(0)))
        }
    }
}
