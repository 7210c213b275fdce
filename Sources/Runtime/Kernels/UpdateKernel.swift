import CKernels
import Graph

/// An optimizer step over many parameters in one kernel (`Op.applyUpdates`): each parameter's
/// update is one loop that reads the weight, gradient and slots of an element and writes the new
/// weight and slots in place, instead of one interpreted elementwise kernel per formula and
/// parameter. The operations and their order are `UpdateRule`'s, each rounded in `T`, so the
/// result is bit for bit that of the same update written with elementwise ops.
struct UpdateKernel<T: TensorScalar> {
    struct Parameter {
        /// The trial whose scalar (learning rate or α) applies.
        let trial: Int
        let weights: UnsafeMutablePointer<T>
        let gradient: UnsafePointer<T>
        /// The rule's slots in order (unused ones repeat the weights; never read). Fixed fields, not
        /// an array, so the step's loop over parameters does no reference counting.
        let slot0, slot1, slot2: UnsafeMutablePointer<T>
        let count: Int

        init(trial: Int, weights: UnsafeMutablePointer<T>, gradient: UnsafePointer<T>, slots: [UnsafeMutablePointer<T>], count: Int) {
            (self.trial, self.weights, self.gradient, self.count) = (trial, weights, gradient, count)
            (slot0, slot1, slot2) = (slots.count > 0 ? slots[0] : weights, slots.count > 1 ? slots[1] : weights, slots.count > 2 ? slots[2] : weights)
        }
    }

    let rule: UpdateRule
    /// Each trial's scalar (learning rate, or Adam's α).
    let scalars: [UnsafePointer<T>]
    let parameters: [Parameter]

    func run() {
        switch rule {
        case .sgd:
            for p in parameters { sgd(p, learningRate: scalars[p.trial][0]) }
        case .momentum(let momentum, let nesterov):
            for p in parameters { self.momentum(p, learningRate: scalars[p.trial][0], momentum: T(momentum), nesterov: nesterov) }
        case .adam(let beta1, let beta2, let epsilon, let amsgrad):
            // The constants as the graph's scalar nodes hold them: computed in Double, then rounded.
            let c1 = T(1 - beta1), c2 = T(1 - beta2), eps = T(epsilon)
            for p in parameters { adam(p, alpha: scalars[p.trial][0], c1: c1, c2: c2, epsilon: eps, amsgrad: amsgrad) }
        }
    }

    /// `w ← w − g·lr`.
    @inline(__always)
    private func sgd(_ p: Parameter, learningRate lr: T) {
        let w = p.weights, g = p.gradient
        for i in 0..<p.count { w[i] = w[i] - g[i] * lr }
    }

    /// `v ← v·μ − g·lr`; `w ← w + v`, or `w ← w + (v·μ − g·lr)` (Nesterov).
    @inline(__always)
    private func momentum(_ p: Parameter, learningRate lr: T, momentum mu: T, nesterov: Bool) {
        let w = p.weights, g = p.gradient, v = p.slot0
        if nesterov {
            for i in 0..<p.count {
                let scaled = g[i] * lr
                let velocity = v[i] * mu - scaled
                v[i] = velocity
                w[i] = w[i] + (velocity * mu - scaled)
            }
        } else {
            for i in 0..<p.count {
                let velocity = v[i] * mu - g[i] * lr
                v[i] = velocity
                w[i] = w[i] + velocity
            }
        }
    }

    /// `m ← m + (g − m)·c₁`, `v ← v + (g² − v)·c₂`, [`v̂ ← max(v̂, v)`], `w ← w − m·α/(√v + ε)`.
    @inline(__always)
    private func adam(_ p: Parameter, alpha: T, c1: T, c2: T, epsilon: T, amsgrad: Bool) {
        let w = p.weights, g = p.gradient, m = p.slot0, v = p.slot1
        if amsgrad {
            let vHat = p.slot2
            for i in 0..<p.count {
                let gradient = g[i]
                let newM = m[i] + (gradient - m[i]) * c1
                let newV = v[i] + (gradient * gradient - v[i]) * c2
                // The graph's `maximum`: the first operand when it is larger or NaN.
                let old = vHat[i]
                let second = (old > newV || old != old) ? old : newV
                m[i] = newM
                v[i] = newV
                vHat[i] = second
                w[i] = w[i] - newM * alpha / (second.squareRoot() + epsilon)
            }
        } else if T.self == Float.self {
            // The loop below, in C built for AVX2 too (CKernels): the same operations per element.
            temper_adam_f32(p.count, w.float, g.float, m.float, v.float, Float(alpha), Float(c1), Float(c2), Float(epsilon))
        } else {
            // Eight lanes at a time (the compiler does not vectorize this loop itself: too many
            // pointers to prove apart), then one by one; the same operations per element.
            let body = p.count - p.count % vectorWidth
            let (c1s, c2s, alphas, epsilons) = (Vector<T>(repeating: c1), Vector<T>(repeating: c2), Vector<T>(repeating: alpha), Vector<T>(repeating: epsilon))
            for i in stride(from: 0, to: body, by: vectorWidth) {
                let gradient = g.vector(at: i), oldM = m.vector(at: i), oldV = v.vector(at: i)
                let newM = oldM + (gradient - oldM) * c1s
                let newV = oldV + (gradient * gradient - oldV) * c2s
                m.store(newM, at: i)
                v.store(newV, at: i)
                w.store(w.vector(at: i) - newM * alphas / (newV.squareRoot() + epsilons), at: i)
            }
            for i in body..<p.count {
                let gradient = g[i]
                let newM = m[i] + (gradient - m[i]) * c1
                let newV = v[i] + (gradient * gradient - v[i]) * c2
                m[i] = newM
                v[i] = newV
                w[i] = w[i] - newM * alpha / (newV.squareRoot() + epsilon)
            }
        }
    }
}
