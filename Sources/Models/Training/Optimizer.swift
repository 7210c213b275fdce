import Foundation
import Graph

/// What an optimizer works with while it appends one training step's updates.
public struct OptimizerStep {
    public let graph: Graph
    /// The current learning rate (a scalar variable the fit loop sets each step).
    public let learningRate: NodeID
    /// The number of steps taken before this one (a scalar variable).
    public let iterations: NodeID
    /// Creates a slot variable (optimizer state) shaped like `parameter`, named `parameter/slot`.
    public let makeSlot: (_ parameter: NodeID, _ slot: String, _ initialValue: Double) throws -> NodeID
    /// Assigns the optimizer wants run every step (its state updates).
    public var stateUpdates: [NodeID] = []
}

/// An optimizer appends the update of each trainable variable to the training graph. Formulas
/// and defaults follow Keras 3.
public protocol Optimizer: Sendable {
    /// The Keras name (`sgd`, `rmsprop`, `adam`, `adagrad`).
    var name: String { get }
    /// The initial learning rate, or a schedule of it.
    var learningRate: LearningRate { get }
    /// Gradient clipping applied before the update.
    var clipping: GradientClipping { get }
    /// The new value of `parameter` after one step with `gradient`; slot updates go to `step`.
    func newValue(of parameter: NodeID, gradient: NodeID, step: inout OptimizerStep) throws -> NodeID
    /// The step of all `updates` as ONE node (`Graph.applyUpdates`: one kernel for every
    /// parameter, as PyTorch's fused optimizers), bit for bit what `newValue` gives each; `nil`
    /// (the default) when the optimizer has no such rule, and the model then uses `newValue`.
    /// The model asks for it for the parameters without a constraint.
    func fusedUpdate(_ updates: [(parameter: NodeID, gradient: NodeID)], step: inout OptimizerStep) throws -> NodeID?
}

extension Optimizer {
    public func fusedUpdate(_ updates: [(parameter: NodeID, gradient: NodeID)], step: inout OptimizerStep) throws -> NodeID? { nil }
}

/// Keras' SGD: with momentum `m`, `v ← m·v − lr·g` and `w ← w + v` (Nesterov: `w ← w + m·v − lr·g`
/// with the new `v`); without, `w ← w − lr·g`.
public struct SGD: Optimizer {
    public var learningRate: LearningRate
    public var momentum: Double
    public var nesterov: Bool
    public var clipping: GradientClipping
    public var name: String { "sgd" }

    public init(learningRate: LearningRate = 0.01, momentum: Double = 0, nesterov: Bool = false, clipping: GradientClipping = .none) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.clipping = clipping
    }

    public func newValue(of parameter: NodeID, gradient: NodeID, step: inout OptimizerStep) throws -> NodeID {
        let g = step.graph
        let scaled = try g.mul(gradient, step.learningRate)
        guard momentum != 0 else { return try g.sub(parameter, scaled) }
        let velocity = try step.makeSlot(parameter, "momentum", 0)
        let newVelocity = try g.sub(g.mul(velocity, g.scalar(momentum)), scaled)
        step.stateUpdates.append(try g.assign(velocity, newVelocity))
        if nesterov {
            return try g.add(parameter, g.sub(g.mul(newVelocity, g.scalar(momentum)), scaled))
        }
        return try g.add(parameter, newVelocity)
    }

    public func fusedUpdate(_ updates: [(parameter: NodeID, gradient: NodeID)], step: inout OptimizerStep) throws -> NodeID? {
        var groups: [(parameter: NodeID, gradient: NodeID, slots: [NodeID])] = []
        for update in updates {
            let slots = momentum == 0 ? [] : [try step.makeSlot(update.parameter, "momentum", 0)]
            groups.append((update.parameter, update.gradient, slots))
        }
        let rule: UpdateRule = momentum == 0 ? .sgd : .momentum(momentum, nesterov: nesterov)
        return try step.graph.applyUpdates(rule, scalar: step.learningRate, groups, name: "optimizer/sgd")
    }
}

/// Keras' RMSprop: `v ← ρ·v + (1 − ρ)·g²`; centered also tracks `ḡ ← ρ·ḡ + (1 − ρ)·g` and uses
/// `v − ḡ²`; the increment is `lr·g/√(v + ε)` (ε inside the root), applied directly or through
/// momentum `m ← μ·m + increment`.
public struct RMSprop: Optimizer {
    public var learningRate: LearningRate
    public var rho: Double
    public var momentum: Double
    public var epsilon: Double
    public var centered: Bool
    public var clipping: GradientClipping
    public var name: String { "rmsprop" }

    public init(learningRate: LearningRate = 0.001, rho: Double = 0.9, momentum: Double = 0, epsilon: Double = 1e-7,
                centered: Bool = false, clipping: GradientClipping = .none) {
        self.learningRate = learningRate
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        self.clipping = clipping
    }

    public func newValue(of parameter: NodeID, gradient: NodeID, step: inout OptimizerStep) throws -> NodeID {
        let g = step.graph
        let velocity = try step.makeSlot(parameter, "velocity", 0)
        let newVelocity = try g.add(g.mul(velocity, g.scalar(rho)), g.mul(g.square(gradient), g.scalar(1 - rho)))
        step.stateUpdates.append(try g.assign(velocity, newVelocity))
        var denominator = newVelocity
        if centered {
            let average = try step.makeSlot(parameter, "average_gradient", 0)
            let newAverage = try g.add(g.mul(average, g.scalar(rho)), g.mul(gradient, g.scalar(1 - rho)))
            step.stateUpdates.append(try g.assign(average, newAverage))
            denominator = try g.sub(newVelocity, g.square(newAverage))
        }
        let increment = try g.div(g.mul(gradient, step.learningRate), g.sqrt(g.add(denominator, g.scalar(epsilon))))
        guard momentum > 0 else { return try g.sub(parameter, increment) }
        let accumulated = try step.makeSlot(parameter, "momentum", 0)
        let newAccumulated = try g.add(g.mul(accumulated, g.scalar(momentum)), increment)
        step.stateUpdates.append(try g.assign(accumulated, newAccumulated))
        return try g.sub(parameter, newAccumulated)
    }
}

/// Keras' Adam: `m ← m + (g − m)·(1 − β₁)`, `v ← v + (g² − v)·(1 − β₂)`, and
/// `w ← w − α·m/(√v + ε)` with `α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)`, `t` the step number from 1;
/// AMSGrad uses the running maximum of `v`.
public struct Adam: Optimizer {
    public var learningRate: LearningRate
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var amsgrad: Bool
    public var clipping: GradientClipping
    public var name: String { "adam" }

    public init(learningRate: LearningRate = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7,
                amsgrad: Bool = false, clipping: GradientClipping = .none) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        self.clipping = clipping
    }

    public func newValue(of parameter: NodeID, gradient: NodeID, step: inout OptimizerStep) throws -> NodeID {
        let g = step.graph
        let alpha = try stepSize(step)
        let m = try step.makeSlot(parameter, "momentum", 0)
        let v = try step.makeSlot(parameter, "velocity", 0)
        let newM = try g.add(m, g.mul(g.sub(gradient, m), g.scalar(1 - beta1)))
        let newV = try g.add(v, g.mul(g.sub(g.square(gradient), v), g.scalar(1 - beta2)))
        step.stateUpdates.append(try g.assign(m, newM))
        step.stateUpdates.append(try g.assign(v, newV))
        var second = newV
        if amsgrad {
            let vHat = try step.makeSlot(parameter, "velocity_hat", 0)
            let newVHat = try g.maximum(vHat, newV)
            step.stateUpdates.append(try g.assign(vHat, newVHat))
            second = newVHat
        }
        return try g.sub(parameter, g.div(g.mul(newM, alpha), g.add(g.sqrt(second), g.scalar(epsilon))))
    }

    /// `α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)` with `t` the step number from 1 and `βᵗ = e^(t·ln β)`.
    private func stepSize(_ step: OptimizerStep) throws -> NodeID {
        let g = step.graph
        let t = try g.add(step.iterations, g.scalar(1))
        let beta1Power = try g.exp(g.mul(t, g.scalar(Foundation.log(beta1))))
        let beta2Power = try g.exp(g.mul(t, g.scalar(Foundation.log(beta2))))
        return try g.div(g.mul(step.learningRate, g.sqrt(g.sub(g.scalar(1), beta2Power))), g.sub(g.scalar(1), beta1Power))
    }

    public func fusedUpdate(_ updates: [(parameter: NodeID, gradient: NodeID)], step: inout OptimizerStep) throws -> NodeID? {
        let alpha = try stepSize(step)
        var groups: [(parameter: NodeID, gradient: NodeID, slots: [NodeID])] = []
        for update in updates {
            var slots = [try step.makeSlot(update.parameter, "momentum", 0), try step.makeSlot(update.parameter, "velocity", 0)]
            if amsgrad { slots.append(try step.makeSlot(update.parameter, "velocity_hat", 0)) }
            groups.append((update.parameter, update.gradient, slots))
        }
        return try step.graph.applyUpdates(.adam(beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad), scalar: alpha, groups,
                                           name: "optimizer/adam")
    }
}

/// Keras' Adagrad: `a ← a + g²` (starting at `initialAccumulatorValue`, default 0.1) and
/// `w ← w − lr·g/√(a + ε)`.
public struct Adagrad: Optimizer {
    public var learningRate: LearningRate
    public var initialAccumulatorValue: Double
    public var epsilon: Double
    public var clipping: GradientClipping
    public var name: String { "adagrad" }

    public init(learningRate: LearningRate = 0.001, initialAccumulatorValue: Double = 0.1, epsilon: Double = 1e-7, clipping: GradientClipping = .none) {
        self.learningRate = learningRate
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        self.clipping = clipping
    }

    public func newValue(of parameter: NodeID, gradient: NodeID, step: inout OptimizerStep) throws -> NodeID {
        let g = step.graph
        let accumulator = try step.makeSlot(parameter, "accumulator", initialAccumulatorValue)
        let newAccumulator = try g.add(accumulator, g.square(gradient))
        step.stateUpdates.append(try g.assign(accumulator, newAccumulator))
        return try g.sub(parameter, g.div(g.mul(gradient, step.learningRate), g.sqrt(g.add(newAccumulator, g.scalar(epsilon)))))
    }
}

/// Gradient clipping before the optimizer step (Keras' `clipvalue`, `clipnorm`, `global_clipnorm`).
public enum GradientClipping: Sendable, Equatable {
    case none
    /// Each gradient element clipped to `[−c, c]`.
    case byValue(Double)
    /// Each gradient tensor scaled to norm at most `c`: `g·c/max(‖g‖, c)`.
    case byNorm(Double)
    /// All gradients scaled together to global norm at most `c`: `gᵢ·c/max(√Σ‖gᵢ‖², c)`.
    case byGlobalNorm(Double)

    /// The clipped gradients.
    func apply(_ gradients: [NodeID], in g: Graph) throws -> [NodeID] {
        switch self {
        case .none:
            return gradients
        case .byValue(let c):
            return try gradients.map { try g.clip($0, lower: -c, upper: c) }
        case .byNorm(let c):
            return try gradients.map { gradient in
                let norm = try g.sqrt(g.sum(g.square(gradient)))
                return try g.mul(gradient, g.div(g.scalar(c), g.maximum(norm, g.scalar(c))))
            }
        case .byGlobalNorm(let c):
            guard !gradients.isEmpty else { return gradients }
            var total = try g.sum(g.square(gradients[0]))
            for gradient in gradients.dropFirst() { total = try g.add(total, g.sum(g.square(gradient))) }
            let scale = try g.div(g.scalar(c), g.maximum(g.sqrt(total), g.scalar(c)))
            return try gradients.map { try g.mul($0, scale) }
        }
    }

    func validate() throws {
        switch self {
        case .none: return
        case .byValue(let c), .byNorm(let c), .byGlobalNorm(let c):
            guard c > 0 else { throw ModelError.invalidConfiguration("gradient clipping needs a positive threshold, got \(c)") }
        }
    }
}
