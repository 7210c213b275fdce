/// What the compiler, autodiff and passes know about an op besides its shape, VJP, kernel and DOT
/// style. Every op declares its traits in one exhaustive switch (`Op.traits`, no `default:`), so a
/// new op states each of them before the package builds, and nothing else re-lists ops by trait.
public struct OpTraits: Hashable, Sendable {
    /// How the runtime obtains the node's value.
    public enum Role: Hashable, Sendable {
        /// No inputs: fed (placeholder), kept by the session (variable) or fixed (constant).
        case source
        /// A kernel computes it into its own buffer.
        case computed
        /// Input 0's buffer, at an offset for `output(k)`: no kernel and no copy
        /// (`reshape`, `stop_gradient`, `output`).
        case alias
        /// Writes session variables after the run (`assign`, `apply_updates`).
        case effect
    }

    public var role: Role
    /// The number of inputs, which may depend on attributes (batch norm's gamma and beta, a bias).
    public var arity: Int
    /// The number of values produced; extra outputs are read through `output(k)` nodes.
    public var outputCount: Int = 1
    /// Each output element depends only on the same-index elements of the (broadcast) inputs, so
    /// `fuse-elementwise` may chain it into one loop and the planner may compute it in place.
    public var isElementwise = false
    /// Its value depends on the seed, the session's step and the element index (dropout and noise
    /// in training): never folded at compile time.
    public var isRandom = false
    /// It reads or writes session state other than its inputs: a variable's stored value, an
    /// assignment, or the step counter of a random op.
    public var isStateful = false
    /// Its value is a function of its attributes and inputs alone, so `cse` may merge two equal
    /// nodes (random ops are: seed, step and index fix the mask).
    public var isPure = true
    /// With constant inputs, `fold-constants` may evaluate it at compile time.
    public var isFoldable = true
    /// Made by a fusion pass after differentiation; it has no VJP of its own.
    public var isFused = false
}

extension OpTraits {
    /// A source: no inputs, never folded; `pure` for constants only.
    static func source(pure: Bool, stateful: Bool = false) -> OpTraits {
        OpTraits(role: .source, arity: 0, isStateful: stateful, isPure: pure, isFoldable: false)
    }

    /// A kernel that is neither elementwise nor random.
    static func computed(arity: Int, outputs: Int = 1, fused: Bool = false) -> OpTraits {
        OpTraits(role: .computed, arity: arity, outputCount: outputs, isFoldable: outputs == 1, isFused: fused)
    }

    /// An elementwise kernel, random (and so stateful and not foldable) or not.
    static func elementwise(arity: Int, random: Bool, fused: Bool = false) -> OpTraits {
        OpTraits(role: .computed, arity: arity, isElementwise: true, isRandom: random, isStateful: random,
                 isFoldable: !random, isFused: fused)
    }
}

extension Op {
    /// The op's traits: the one place they are declared.
    public var traits: OpTraits {
        switch self {
        case .placeholder: return .source(pure: false)
        case .variable: return .source(pure: false, stateful: true)
        case .constant: return .source(pure: true)
        case .matmul: return .computed(arity: 2)
        case .unary(let u): return .elementwise(arity: 1, random: u.isRandom)
        case .binary: return .elementwise(arity: 2, random: false)
        case .softmax, .logSoftmax, .reduce, .transpose, .broadcast: return .computed(arity: 1)
        case .reshape, .stopGradient: return OpTraits(role: .alias, arity: 1)
        case .output: return OpTraits(role: .alias, arity: 1, isFoldable: false)
        case .batchNormTraining(let c): return .computed(arity: 1 + c.learnedInputCount, outputs: 3)
        case .batchNormInference(let c): return .computed(arity: 3 + c.learnedInputCount)
        case .batchNormTrainingGradient(let c): return .computed(arity: 4 + (c.scale ? 1 : 0), outputs: 3)
        case .loss: return .computed(arity: 2)
        case .lossGradient: return .computed(arity: 3)
        case .assign:
            return OpTraits(role: .effect, arity: 2, isStateful: true, isPure: false, isFoldable: false)
        case .applyUpdates(let rule, let n):
            // Int.max (never matched by a real input list) when a hostile count would overflow.
            let (inputs, overflow) = n.multipliedReportingOverflow(by: rule.inputsPerParameter)
            return OpTraits(role: .effect, arity: overflow || inputs == .max ? .max : 1 + inputs, isStateful: true, isPure: false, isFoldable: false)
        case .fusedElementwise(let p): return .elementwise(arity: p.inputCount, random: p.isRandom, fused: true)
        case .gemmEpilogue(let e): return .computed(arity: e.hasBias ? 3 : 2, fused: true)
        case .gemmAccumulate: return .computed(arity: 3, fused: true)
        case .batchNormTrainingFused(let c, _): return .computed(arity: 1 + c.learnedInputCount, outputs: 3, fused: true)
        case .batchNormTrainingGradientFused(let c, let masks):
            return .computed(arity: 4 + (c.scale ? 1 : 0) + (masks.cotangent ? 1 : 0), outputs: 3, fused: true)
        }
    }

    /// Number of values the op produces (`traits.outputCount`).
    public var outputCount: Int { traits.outputCount }
    /// `traits.isElementwise`.
    public var isElementwise: Bool { traits.isElementwise }
    /// `traits.isFused`.
    public var isFused: Bool { traits.isFused }
    /// True for graph sources (no inputs).
    public var isSource: Bool { traits.role == .source }
    /// True for ops whose value is input 0's buffer (`reshape`, `stop_gradient`, `output`).
    public var isAlias: Bool { traits.role == .alias }

    /// True when input `k` is a variable the op writes after the run: an assign's target, an
    /// `apply_updates`' parameters and slots (not its scalar nor the gradients).
    public func writesInput(_ k: Int) -> Bool {
        switch self {
        case .assign: return k == 0
        case .applyUpdates(let rule, _): return k >= 1 && (k - 1) % rule.inputsPerParameter != 1
        default: return false
        }
    }

    /// The elementwise kernel the op runs as (`unary`, `binary`, `broadcast`, `fused_elementwise`);
    /// `nil` for every other op.
    public var elementwiseProgram: ElementwiseProgram? {
        switch self {
        case .unary(let op): return ElementwiseProgram(instructions: [.input(0), .unary(op, 0)], inputCount: 1)
        case .binary(let op): return ElementwiseProgram(instructions: [.input(0), .input(1), .binary(op, 0, 1)], inputCount: 2)
        case .broadcast: return ElementwiseProgram(instructions: [.input(0)], inputCount: 1)
        case .fusedElementwise(let program): return program
        default: return nil
        }
    }
}

extension BatchNormConfig {
    /// The learned inputs present: gamma when `scale`, beta when `center`.
    public var learnedInputCount: Int { (scale ? 1 : 0) + (center ? 1 : 0) }
}

extension ElementwiseProgram {
    /// True when an instruction is a random op (dropout or noise in training).
    public var isRandom: Bool {
        instructions.contains { instruction in
            if case .unary(let op, _) = instruction { return op.isRandom }
            return false
        }
    }
}
