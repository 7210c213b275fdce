/// Attribute checks for every op, in one place: shape inference runs them first, so `addNode`, the
/// builder methods, `verify()` and `Graph.load(json:)` all refuse the same ops with the same message.
extension Op {
    /// Throws `GraphError.invalidArgument`, naming the node, when an attribute is out of its domain:
    /// a dropout rate outside [0, 1), a negative or non-finite noise stddev, clip bounds out of
    /// order or NaN, a non-finite exponent, slope, batch-norm epsilon (which must be ≥ 0) or GEMM
    /// scale. Shapes, axes and arity are checked by shape inference.
    public func validateAttributes(named name: String) throws {
        switch self {
        case .unary(let u):
            try u.validate(node: name)
        case .fusedElementwise(let program):
            for case .unary(let u, _) in program.instructions { try u.validate(node: name) }
        case .gemmEpilogue(let e):
            try e.activation?.validate(node: name)
        case .gemmAccumulate(let a):
            guard a.alpha.isFinite, a.beta.isFinite else {
                throw GraphError.invalidArgument("gemm_accumulate \"\(name)\": alpha \(a.alpha) and beta \(a.beta) must be finite")
            }
        case .batchNormTraining(let c), .batchNormInference(let c), .batchNormTrainingGradient(let c),
             .batchNormTrainingFused(let c, _), .batchNormTrainingGradientFused(let c, _):
            guard c.epsilon >= 0, c.epsilon.isFinite else {
                throw GraphError.invalidArgument("\(kind.rawValue) \"\(name)\": epsilon \(c.epsilon) must be a finite number ≥ 0 (Keras' default is 1e-3)")
            }
        case .applyUpdates(let rule, let n):
            guard n >= 1, n <= UpdateRule.maximumParameters else {
                throw GraphError.invalidArgument("apply_updates \"\(name)\": it updates 1…\(UpdateRule.maximumParameters) parameters, not \(n)")
            }
            switch rule {
            case .sgd: return
            case .momentum(let m, _):
                guard m.isFinite else { throw GraphError.invalidArgument("apply_updates \"\(name)\": momentum \(m) must be finite") }
            case .adam(let b1, let b2, let eps, _):
                guard b1.isFinite, b2.isFinite, eps.isFinite else {
                    throw GraphError.invalidArgument("apply_updates \"\(name)\": beta1 \(b1), beta2 \(b2) and epsilon \(eps) must be finite")
                }
            }
        case .placeholder, .variable, .constant, .matmul, .binary, .softmax, .logSoftmax, .reduce, .reshape, .transpose,
             .broadcast, .output, .loss, .lossGradient, .assign, .stopGradient:
            return  // no attributes beyond shapes and axes
        }
    }
}

extension UnaryOp {
    /// Throws when an attribute is out of its domain (see `Op.validateAttributes(named:)`).
    func validate(node name: String) throws {
        func refuse(_ detail: String) -> GraphError { .invalidArgument("\(self.name) \"\(name)\": \(detail)") }
        switch self {
        case .dropout(let rate, _, _):
            guard rate >= 0, rate < 1 else { throw refuse("rate \(rate) must be in [0, 1) (the fraction of inputs dropped)") }
        case .gaussianNoise(let stddev, _, _):
            guard stddev >= 0, stddev.isFinite else { throw refuse("stddev \(stddev) must be a finite number ≥ 0") }
        case .clip(let lower, let upper):
            guard !lower.isNaN, !upper.isNaN, lower <= upper else {
                throw refuse("lower bound \(lower) must not exceed upper bound \(upper) (neither may be NaN); swap them")
            }
        case .pow(let p):
            guard p.isFinite else { throw refuse("exponent \(p) must be finite") }
        case .leakyRelu(let alpha), .elu(let alpha):
            guard alpha.isFinite else { throw refuse("alpha \(alpha) must be finite") }
        case .neg, .exp, .log, .sqrt, .rsqrt, .square, .abs, .sign, .relu, .sigmoid, .tanh, .softplus:
            return
        }
    }
}
