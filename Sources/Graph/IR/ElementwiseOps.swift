/// Elementwise functions of one tensor. Each is both a graph op (`Op.unary`) and an instruction of
/// a fused elementwise kernel (`ElementwiseProgram`), so the runtime evaluates them in one place.
public enum UnaryOp: Hashable, Codable, Sendable {
    /// `-x`
    case neg
    /// `e^x`
    case exp
    /// natural logarithm `ln x`
    case log
    /// `√x`
    case sqrt
    /// `1/√x`
    case rsqrt
    /// `x²`
    case square
    /// `|x|` (derivative `sign x`, 0 at 0)
    case abs
    /// `sign x` ∈ {-1, 0, 1} (derivative 0)
    case sign
    /// `x^p` for a constant exponent `p`
    case pow(Double)
    /// `min(max(x, lower), upper)`; the derivative is 1 on the closed interval, 0 outside
    case clip(lower: Double, upper: Double)
    /// `max(x, 0)`; the derivative at exactly 0 is 0 (the PyTorch and TensorFlow convention)
    case relu
    /// `x` for `x > 0`, `alpha·x` otherwise
    case leakyRelu(alpha: Double)
    /// `x` for `x > 0`, `alpha·(e^x − 1)` otherwise
    case elu(alpha: Double)
    /// `1 / (1 + e^−x)`
    case sigmoid
    /// `tanh x`
    case tanh
    /// `ln(1 + e^x)`, computed stably as `max(x, 0) + ln(1 + e^−|x|)`
    case softplus
    /// Inverted dropout: in training, keeps each element with probability `1 − rate` and scales it
    /// by `1/(1 − rate)`; identity when `training` is false. The mask is a pure function of
    /// (`seed`, the session's step counter, the element index), so a seeded run is reproducible and
    /// the backward pass (the same op applied to the cotangent) sees the same mask.
    case dropout(rate: Double, seed: UInt64, training: Bool)
    /// Additive Gaussian noise `x + N(0, stddev²)` in training; identity when `training` is false.
    /// Seeded like `dropout`.
    case gaussianNoise(stddev: Double, seed: UInt64, training: Bool)

    /// Short lowercase name used in DOT labels, reports and gradient-check tables.
    public var name: String {
        switch self {
        case .neg: return "neg"
        case .exp: return "exp"
        case .log: return "log"
        case .sqrt: return "sqrt"
        case .rsqrt: return "rsqrt"
        case .square: return "square"
        case .abs: return "abs"
        case .sign: return "sign"
        case .pow: return "pow"
        case .clip: return "clip"
        case .relu: return "relu"
        case .leakyRelu: return "leaky_relu"
        case .elu: return "elu"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .softplus: return "softplus"
        case .dropout: return "dropout"
        case .gaussianNoise: return "gaussian_noise"
        }
    }

    /// The op with its attributes, e.g. `pow(3)`, `clip(-1, 1)`, `dropout(0.5, seed 7)`.
    public var label: String {
        switch self {
        case .pow(let p): return "pow(\(formatAttribute(p)))"
        case .clip(let lo, let hi): return "clip(\(formatAttribute(lo)), \(formatAttribute(hi)))"
        case .leakyRelu(let a): return "leaky_relu(\(formatAttribute(a)))"
        case .elu(let a): return "elu(\(formatAttribute(a)))"
        case .dropout(let rate, let seed, let training):
            return "dropout(\(formatAttribute(rate)), seed \(seed)\(training ? "" : ", inference"))"
        case .gaussianNoise(let s, let seed, let training):
            return "gaussian_noise(\(formatAttribute(s)), seed \(seed)\(training ? "" : ", inference"))"
        case .neg, .exp, .log, .sqrt, .rsqrt, .square, .abs, .sign, .relu, .sigmoid, .tanh, .softplus:
            return name
        }
    }

    /// True for ops whose value depends on the element index and step (dropout and noise in training).
    public var isRandom: Bool {
        switch self {
        case .dropout(_, _, let training), .gaussianNoise(_, _, let training): return training
        case .neg, .exp, .log, .sqrt, .rsqrt, .square, .abs, .sign, .pow, .clip, .relu, .leakyRelu, .elu,
             .sigmoid, .tanh, .softplus:
            return false
        }
    }
}

/// Comparisons yielding 1 where true and 0 where false. Their derivative is 0 everywhere.
public enum Comparison: String, Hashable, Codable, Sendable, CaseIterable {
    case greater, greaterEqual, less, lessEqual, equal, notEqual
}

/// Elementwise functions of two tensors with NumPy broadcasting.
public enum BinaryOp: Hashable, Codable, Sendable {
    /// `a + b`
    case add
    /// `a − b`
    case sub
    /// `a · b`
    case mul
    /// `a / b`
    case div
    /// `max(a, b)`; at ties the gradient is split evenly (the PyTorch convention)
    case maximum
    /// `min(a, b)`; at ties the gradient is split evenly
    case minimum
    /// `a ⋈ b` as 1 or 0
    case compare(Comparison)
    /// `b · a · (1 − a)`: the sigmoid derivative applied to a cotangent `b`, where `a = sigmoid(x)`.
    /// Emitted by autodiff so that `fuse-bce-logits` can recognise the backward of sigmoid + BCE.
    case sigmoidGradient

    public var name: String {
        switch self {
        case .add: return "add"
        case .sub: return "sub"
        case .mul: return "mul"
        case .div: return "div"
        case .maximum: return "maximum"
        case .minimum: return "minimum"
        case .compare(let c): return c.rawValue
        case .sigmoidGradient: return "sigmoid_grad"
        }
    }
}

/// Reductions over a set of axes.
public enum ReduceOp: String, Hashable, Codable, Sendable, CaseIterable {
    /// `Σ x`
    case sum
    /// `Σ x / count`
    case mean
    /// `max x`; the gradient goes to the maxima, split evenly among ties
    case max
}

/// Formats a numeric attribute compactly and stably (`0.5`, `3`, `1e-07`).
func formatAttribute(_ value: Double) -> String {
    if value == value.rounded(), Swift.abs(value) < 1e15 { return String(Int(value)) }
    return String(value)
}
