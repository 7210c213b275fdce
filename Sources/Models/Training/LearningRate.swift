import Foundation

/// A learning rate: a constant or a schedule of the step number (Keras'
/// `LearningRateSchedule`s), evaluated before every step. Epoch-based schedules are callbacks
/// (`LearningRateScheduler`, `ReduceLROnPlateau`).
public enum LearningRate: Sendable, Equatable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    case constant(Double)
    /// `initial · rate^(step/decaySteps)` (with `staircase`, the exponent is floored).
    case exponentialDecay(initial: Double, decaySteps: Int, decayRate: Double, staircase: Bool = false)
    /// Time-based decay: `initial / (1 + rate·step/decaySteps)` (with `staircase`, floored); with
    /// `decaySteps: 1` it is Keras 2's legacy `decay` argument, `lr/(1 + decay·iterations)`.
    case inverseTimeDecay(initial: Double, decaySteps: Int, decayRate: Double, staircase: Bool = false)
    /// Step decay: `values[i]` while `step ≤ boundaries[i]` (`values` has one more entry).
    case piecewiseConstant(boundaries: [Int], values: [Double])

    public init(floatLiteral value: Double) { self = .constant(value) }
    public init(integerLiteral value: Int) { self = .constant(Double(value)) }

    /// The rate at a step (counted from 0).
    public func value(atStep step: Int) -> Double {
        switch self {
        case .constant(let v):
            return v
        case .exponentialDecay(let initial, let decaySteps, let rate, let staircase):
            var p = Double(step) / Double(decaySteps)
            if staircase { p = p.rounded(.down) }
            return initial * Foundation.pow(rate, p)
        case .inverseTimeDecay(let initial, let decaySteps, let rate, let staircase):
            var p = Double(step) / Double(decaySteps)
            if staircase { p = p.rounded(.down) }
            return initial / (1 + rate * p)
        case .piecewiseConstant(let boundaries, let values):
            for (i, boundary) in boundaries.enumerated() where step <= boundary { return values[i] }
            return values[values.count - 1]
        }
    }

    /// True when the rate changes with the step.
    var isScheduled: Bool { if case .constant = self { return false } else { return true } }

    func validate() throws {
        switch self {
        case .constant(let v):
            guard v >= 0, v.isFinite else { throw ModelError.invalidConfiguration("learning rate must be a non-negative number, got \(v)") }
        case .exponentialDecay(_, let steps, _, _), .inverseTimeDecay(_, let steps, _, _):
            guard steps > 0 else { throw ModelError.invalidConfiguration("decaySteps must be positive, got \(steps)") }
        case .piecewiseConstant(let boundaries, let values):
            guard values.count == boundaries.count + 1, boundaries == boundaries.sorted() else {
                throw ModelError.invalidConfiguration("piecewise constant learning rate needs ascending boundaries and one more value than boundaries (got \(boundaries.count) and \(values.count))")
            }
        }
    }
}
