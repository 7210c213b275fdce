/// The whole op vocabulary of Temper, one enum with the attributes as associated values.
///
/// Every layer switches over it exhaustively: shape inference (Graph), the vector-Jacobian
/// product (Autodiff), the kernel (Runtime) and the DOT style (Graph). A new case does not
/// build until every layer knows it — the compiler's exhaustiveness check is the op table.
public enum Op: Hashable, Codable, Sendable {
    // MARK: Sources
    /// A value fed at run time (`feeds:`) of the given shape, whose leading dimension may be the
    /// symbolic batch.
    case placeholder(Shape)
    /// A value of the given shape stored in the session across runs; `trainable` ones are what
    /// optimizers update.
    case variable(Shape, trainable: Bool)
    /// A value fixed at build time (row-major, stored as `Double` and converted to the graph dtype).
    case constant(ConstantValue)

    // MARK: Linear algebra
    /// `op(A)·op(B)` for rank-2 operands, where `op` transposes when the flag is set.
    /// The runtime passes the flags to sgemm/dgemm; no transposed copy is made.
    case matmul(transposeA: Bool, transposeB: Bool)

    // MARK: Elementwise
    /// An elementwise function of one input.
    case unary(UnaryOp)
    /// An elementwise function of two inputs with NumPy broadcasting.
    case binary(BinaryOp)

    // MARK: Softmax
    /// `softmax(x)_i = e^(x_i − max x) / Σ_j e^(x_j − max x)` along `axis`.
    case softmax(axis: Int)
    /// `log_softmax(x)_i = x_i − max x − ln Σ_j e^(x_j − max x)` along `axis`.
    case logSoftmax(axis: Int)

    // MARK: Reductions and shapes
    /// Sum, mean or max over `axes` (negative axes count from the end); `keepDims` keeps them as 1.
    case reduce(ReduceOp, axes: [Int], keepDims: Bool)
    /// The same elements in another shape (row-major order kept). `?` may lead the target.
    case reshape(Shape)
    /// Axis permutation: output axis `i` is input axis `permutation[i]`.
    case transpose([Int])
    /// NumPy broadcast of the input to a larger shape.
    case broadcast(Shape)

    // MARK: Batch normalization (feature axis last, statistics over every other axis)
    /// Training mode. Inputs `x, [gamma], [beta]`; outputs `y`, the batch mean and the biased
    /// (population) batch variance: `y = gamma·(x − mean)/√(variance + epsilon) + beta`.
    case batchNormTraining(BatchNormConfig)
    /// Inference mode with given moving statistics. Inputs `x, mean, variance, [gamma], [beta]`.
    case batchNormInference(BatchNormConfig)
    /// The closed-form backward of `batchNormTraining`. Inputs `dy, x, mean, variance, [gamma]`;
    /// outputs `dx, dgamma, dbeta` with `x̂ = (x − mean)·r`, `r = 1/√(variance + epsilon)`, `m` rows:
    /// `dbeta = Σ dy`, `dgamma = Σ dy·x̂`, `dx = gamma·r/m · (m·dy − dbeta − x̂·dgamma)`.
    case batchNormTrainingGradient(BatchNormConfig)
    /// Output number `k` (from 1) of a multi-output node; output 0 is the node itself.
    case output(Int)

    // MARK: Losses
    /// Per-sample loss of `(labels, predictions)`, shape `[batch]` (see `LossKind`).
    case loss(LossKind)
    /// `∂loss/∂predictions` scaled by a per-sample cotangent: inputs `(cotangent, labels, predictions)`.
    case lossGradient(LossKind)

    // MARK: Side effects and control
    /// `assign(variable, value)`: after the run, the variable holds `value`. Its output is the new value.
    case assign
    /// Identity in value; blocks gradients.
    case stopGradient
    /// One optimizer step for `parameters` variables in one kernel (PyTorch's fused optimizers):
    /// after the run, each parameter and its slot variables hold their updated values (see
    /// `UpdateRule` for the formulas). Inputs: the rule's scalar, then per parameter the parameter
    /// variable, its gradient and its `rule.slotCount` slot variables. Its output is the scalar.
    case applyUpdates(UpdateRule, parameters: Int)

    // MARK: Fused kernels (made by passes, after differentiation)
    /// A chain of elementwise ops evaluated in one loop without intermediate buffers.
    case fusedElementwise(ElementwiseProgram)
    /// `activation(op(A)·op(B) + bias)`: the output is pre-filled with the broadcast bias, GEMM runs
    /// with beta = 1 and the activation is applied in the same pass.
    case gemmEpilogue(GemmEpilogue)
    /// `beta·C + alpha·op(A)·op(B)`, BLAS' own form, with inputs `A, B, C`: GEMM accumulates into
    /// the output (which holds `C`, or is `C`'s variable when the result is assigned back to it).
    case gemmAccumulate(GemmAccumulate)
    /// Training-mode batch norm as two reductions and one elementwise pass, optionally followed by ReLU.
    /// Inputs and outputs as `batchNormTraining`.
    case batchNormTrainingFused(BatchNormConfig, relu: Bool)
    /// `batchNormTrainingGradient` in one kernel, with the ReLU backward on either side of it folded
    /// in (`masks`): the cotangent multiplied by `y > 0` first (`y`, the last input, the fused
    /// forward's ReLU output), and `dx` multiplied by `x > 0` last (`x` the batch norm's input).
    case batchNormTrainingGradientFused(BatchNormConfig, masks: BatchNormGradientMasks)
}

/// The update an `applyUpdates` node applies to each parameter `w` with gradient `g`, as Keras 3
/// computes it (every operation rounded in the graph's dtype, in this order; constants converted
/// from `Double` to it, so the node equals the same update written with elementwise ops bit for bit).
public enum UpdateRule: Hashable, Codable, Sendable {
    /// `w ← w − g·lr`; the scalar is `lr`; no slots.
    case sgd
    /// `v ← v·μ − g·lr`, then `w ← w + v`, or with Nesterov `w ← w + (v·μ − g·lr)` with the new `v`;
    /// the scalar is `lr`; one slot, `v`.
    case momentum(Double, nesterov: Bool)
    /// `m ← m + (g − m)·(1 − β₁)`, `v ← v + (g² − v)·(1 − β₂)`, with AMSGrad `v̂ ← max(v̂, v)`, then
    /// `w ← w − m·α/(√v + ε)` (√v̂ with AMSGrad); the scalar is `α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)`;
    /// slots `m`, `v` (and `v̂`).
    case adam(beta1: Double, beta2: Double, epsilon: Double, amsgrad: Bool)

    /// The most parameters one `apply_updates` node takes.
    public static let maximumParameters = 1 << 20

    /// Slot variables per parameter.
    public var slotCount: Int {
        switch self {
        case .sgd: return 0
        case .momentum: return 1
        case .adam(_, _, _, let amsgrad): return amsgrad ? 3 : 2
        }
    }

    /// Inputs per parameter: the parameter, its gradient and its slots.
    public var inputsPerParameter: Int { 2 + slotCount }

    /// A short label, e.g. `adam`, `sgd(momentum 0.9)`.
    public var label: String {
        switch self {
        case .sgd: return "sgd"
        case .momentum(let m, let nesterov): return "sgd(momentum \(formatAttribute(m))\(nesterov ? ", nesterov" : ""))"
        case .adam(_, _, _, let amsgrad): return amsgrad ? "adam(amsgrad)" : "adam"
        }
    }
}

/// Attributes of a batch-normalization op (Keras names): `epsilon` is added to the variance;
/// `scale` means a learned gamma input is present, `center` a learned beta input.
public struct BatchNormConfig: Hashable, Codable, Sendable {
    public var epsilon: Double
    public var scale: Bool
    public var center: Bool

    public init(epsilon: Double = 1e-3, scale: Bool = true, center: Bool = true) {
        self.epsilon = epsilon
        self.scale = scale
        self.center = center
    }
}

/// The ReLU backwards a fused batch-norm backward applies, each as the ReLU's own backward does it:
/// a multiplication by `v > 0` (1 or 0), so NaN and the sign of zero come out as unfused.
public struct BatchNormGradientMasks: Hashable, Codable, Sendable {
    /// The cotangent `dy` is first multiplied by `y > 0`, `y` the forward's ReLU output, an extra
    /// last input (a ReLU after the batch norm, fused into its forward).
    public var cotangent: Bool
    /// The result `dx` is multiplied by `x > 0`, `x` the batch norm's input (a ReLU before the
    /// batch norm: `x` is that ReLU's output, and `x > 0` its mask).
    public var input: Bool

    public init(cotangent: Bool = false, input: Bool = false) {
        self.cotangent = cotangent
        self.input = input
    }
}

/// Attributes of a fused matmul + bias + activation.
public struct GemmEpilogue: Hashable, Codable, Sendable {
    public var transposeA: Bool
    public var transposeB: Bool
    /// A third input of shape `[n]` added to every row.
    public var hasBias: Bool
    /// An elementwise function applied to the result, if any.
    public var activation: UnaryOp?

    public init(transposeA: Bool, transposeB: Bool, hasBias: Bool, activation: UnaryOp?) {
        self.transposeA = transposeA
        self.transposeB = transposeB
        self.hasBias = hasBias
        self.activation = activation
    }
}

/// Attributes of a fused `beta·C + alpha·op(A)·op(B)`.
public struct GemmAccumulate: Hashable, Codable, Sendable {
    public var transposeA: Bool
    public var transposeB: Bool
    public var alpha: Double
    public var beta: Double

    public init(transposeA: Bool, transposeB: Bool, alpha: Double, beta: Double) {
        self.transposeA = transposeA
        self.transposeB = transposeB
        self.alpha = alpha
        self.beta = beta
    }
}

/// The values of a constant, row-major, as `Double` (converted to the graph's dtype at compile
/// time), with its (concrete) shape.
public struct ConstantValue: Hashable, Codable, Sendable {
    public var shape: Shape
    public var values: [Double]
    public init(shape: Shape, values: [Double]) {
        self.shape = shape
        self.values = values
    }
}
