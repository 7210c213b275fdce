/// The op vocabulary without attributes: one case per distinct kind of `Op`. `Op.kind` maps every
/// op to its kind with exhaustive switches, so a new op (or a new unary/binary function) does not
/// build until it has a kind here; the gradient-check suite then fails until the kind is checked.
/// `compare` and `loss`/`lossGradient` cover every `Comparison` and `LossKind` case.
public enum OpKind: String, CaseIterable, Sendable, Codable {
    case placeholder, variable, constant, matmul
    case neg, exp, log, sqrt, rsqrt, square, abs, sign, pow, clip
    case relu, leakyRelu = "leaky_relu", elu, sigmoid, tanh, softplus
    case dropout, gaussianNoise = "gaussian_noise"
    case add, sub, mul, div, maximum, minimum, compare
    case sigmoidGradient = "sigmoid_grad"
    case softmax, logSoftmax = "log_softmax"
    case reduceSum = "reduce_sum", reduceMean = "reduce_mean", reduceMax = "reduce_max"
    case reshape, transpose, broadcast
    case batchNormTraining = "batch_norm_training"
    case batchNormInference = "batch_norm_inference"
    case batchNormTrainingGradient = "batch_norm_training_grad"
    case output
    case loss
    case lossGradient = "loss_grad"
    case assign
    case stopGradient = "stop_gradient"
    case applyUpdates = "apply_updates"
    case fusedElementwise = "fused_elementwise"
    case gemmEpilogue = "gemm_epilogue"
    case gemmAccumulate = "gemm_accumulate"
    case batchNormTrainingFused = "fused_batch_norm"
    case batchNormTrainingGradientFused = "fused_batch_norm_grad"
}

extension UnaryOp {
    /// The attribute-free kind of this function.
    public var kind: OpKind {
        switch self {
        case .neg: return .neg
        case .exp: return .exp
        case .log: return .log
        case .sqrt: return .sqrt
        case .rsqrt: return .rsqrt
        case .square: return .square
        case .abs: return .abs
        case .sign: return .sign
        case .pow: return .pow
        case .clip: return .clip
        case .relu: return .relu
        case .leakyRelu: return .leakyRelu
        case .elu: return .elu
        case .sigmoid: return .sigmoid
        case .tanh: return .tanh
        case .softplus: return .softplus
        case .dropout: return .dropout
        case .gaussianNoise: return .gaussianNoise
        }
    }
}

extension BinaryOp {
    /// The attribute-free kind of this function.
    public var kind: OpKind {
        switch self {
        case .add: return .add
        case .sub: return .sub
        case .mul: return .mul
        case .div: return .div
        case .maximum: return .maximum
        case .minimum: return .minimum
        case .compare: return .compare
        case .sigmoidGradient: return .sigmoidGradient
        }
    }
}

extension Op {
    /// The attribute-free kind of this op.
    public var kind: OpKind {
        switch self {
        case .placeholder: return .placeholder
        case .variable: return .variable
        case .constant: return .constant
        case .matmul: return .matmul
        case .unary(let u): return u.kind
        case .binary(let b): return b.kind
        case .softmax: return .softmax
        case .logSoftmax: return .logSoftmax
        case .reduce(let r, _, _):
            switch r {
            case .sum: return .reduceSum
            case .mean: return .reduceMean
            case .max: return .reduceMax
            }
        case .reshape: return .reshape
        case .transpose: return .transpose
        case .broadcast: return .broadcast
        case .batchNormTraining: return .batchNormTraining
        case .batchNormInference: return .batchNormInference
        case .batchNormTrainingGradient: return .batchNormTrainingGradient
        case .output: return .output
        case .loss: return .loss
        case .lossGradient: return .lossGradient
        case .assign: return .assign
        case .stopGradient: return .stopGradient
        case .applyUpdates: return .applyUpdates
        case .fusedElementwise: return .fusedElementwise
        case .gemmEpilogue: return .gemmEpilogue
        case .gemmAccumulate: return .gemmAccumulate
        case .batchNormTrainingFused: return .batchNormTrainingFused
        case .batchNormTrainingGradientFused: return .batchNormTrainingGradientFused
        }
    }

    /// The variant name used to enumerate the vocabulary in checks: the kind, refined by the
    /// comparison or loss where the kind covers several (`compare.greater`, `loss.mse`).
    public var vocabularyName: String {
        if case .binary(.compare(let c)) = self { return "compare.\(c.rawValue)" }
        if case .loss(let l) = self { return "loss.\(l.kerasName)" }
        if case .lossGradient(let l) = self { return "loss_grad.\(l.kerasName)" }
        return kind.rawValue
    }

    /// Every vocabulary name: each `OpKind`, with `compare`, `loss` and `loss_grad` expanded.
    public static var vocabularyNames: [String] {
        OpKind.allCases.flatMap { kind -> [String] in
            if kind == .compare { return Comparison.allCases.map { "compare.\($0.rawValue)" } }
            if kind == .loss { return LossKind.allCases.map { "loss.\($0.kerasName)" } }
            if kind == .lossGradient { return LossKind.allCases.map { "loss_grad.\($0.kerasName)" } }
            return [kind.rawValue]
        }
    }

    /// A one-line label with attributes, e.g. `matmul(transB)`, `reduce_sum(axes [0])`, `relu`.
    public var label: String {
        switch self {
        case .placeholder: return "placeholder"
        case .variable(_, let trainable): return trainable ? "variable" : "variable(non-trainable)"
        case .constant(let c): return c.values.count == 1 ? "constant(\(formatAttribute(c.values[0])))" : "constant"
        case .matmul(let ta, let tb): return "matmul" + transposeSuffix(ta, tb)
        case .unary(let u): return u.label
        case .binary(let b): return b.name
        case .softmax(let axis): return "softmax(axis \(axis))"
        case .logSoftmax(let axis): return "log_softmax(axis \(axis))"
        case .reduce(let r, let axes, let keep):
            return "reduce_\(r.rawValue)(axes \(axes)\(keep ? ", keepdims" : ""))"
        case .reshape(let s): return "reshape\(s)"
        case .transpose(let p): return "transpose\(p)"
        case .broadcast(let s): return "broadcast\(s)"
        case .batchNormTraining(let c): return "batch_norm_training" + c.suffix
        case .batchNormInference(let c): return "batch_norm_inference" + c.suffix
        case .batchNormTrainingGradient(let c): return "batch_norm_training_grad" + c.suffix
        case .output(let k): return "output(\(k))"
        case .loss(let l): return l.kerasName
        case .lossGradient(let l): return "\(l.kerasName)_grad"
        case .assign: return "assign"
        case .stopGradient: return "stop_gradient"
        case .applyUpdates(let rule, let n): return "apply_updates(\(rule.label), \(n) parameter\(n == 1 ? "" : "s"))"
        case .fusedElementwise(let p): return "fused_elementwise(\(p.opNames.joined(separator: ", ")))"
        case .gemmEpilogue(let e):
            var parts = ["matmul" + transposeSuffix(e.transposeA, e.transposeB)]
            if e.hasBias { parts.append("bias") }
            if let a = e.activation { parts.append(a.label) }
            return "gemm_epilogue(\(parts.joined(separator: " + ")))"
        case .gemmAccumulate(let a):
            return "gemm_accumulate(\(formatAttribute(a.beta))·C + \(formatAttribute(a.alpha))·matmul\(transposeSuffix(a.transposeA, a.transposeB)))"
        case .batchNormTrainingFused(let c, let relu):
            return "fused_batch_norm" + c.suffix + (relu ? " + relu" : "")
        case .batchNormTrainingGradientFused(let c, let masks):
            return "fused_batch_norm_grad" + c.suffix + (masks.cotangent ? " + relu mask" : "") + (masks.input ? " + input relu mask" : "")
        }
    }
}

private func transposeSuffix(_ a: Bool, _ b: Bool) -> String {
    switch (a, b) {
    case (false, false): return ""
    case (true, false): return "(transA)"
    case (false, true): return "(transB)"
    case (true, true): return "(transA, transB)"
    }
}

extension BatchNormConfig {
    var suffix: String {
        var flags: [String] = []
        if !scale { flags.append("no scale") }
        if !center { flags.append("no center") }
        return "(eps \(formatAttribute(epsilon))\(flags.isEmpty ? "" : ", " + flags.joined(separator: ", ")))"
    }
}
