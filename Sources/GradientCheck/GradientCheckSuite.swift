import Graph
import Runtime

/// The gradient-check suite: every differentiable op of the vocabulary on several shapes
/// (including broadcasting), and the vocabulary entries that are exempt, each with its reason.
/// `coverage(of:)` tells which differentiable vocabulary names no case exercises; the tests and
/// `temper gradcheck` fail when any is missing, so a new op cannot land without a check.
public enum GradientCheckSuite {
    /// Vocabulary names without a derivative to check, and why.
    public static let exemptions: [String: String] = {
        var table: [String: String] = [
            OpKind.placeholder.rawValue: "a source: gradients end here",
            OpKind.variable.rawValue: "a source: gradients end here",
            OpKind.constant.rawValue: "a source: gradients end here",
            OpKind.assign.rawValue: "a side effect, not a function of its inputs",
            OpKind.applyUpdates.rawValue: "a side effect (an optimizer step); checked bit for bit against the same update written with elementwise ops (FusedOptimizerTests)",
            OpKind.stopGradient.rawValue: "blocks gradients by definition (pinned by its own test)",
            OpKind.batchNormTrainingGradient.rawValue: "a gradient op (first order only); its values are the batch_norm_training checks",
            OpKind.fusedElementwise.rawValue: "made by a pass after differentiation; checked by the pass-equivalence tests",
            OpKind.gemmEpilogue.rawValue: "made by a pass after differentiation; checked by the pass-equivalence tests",
            OpKind.gemmAccumulate.rawValue: "made by a pass after differentiation; checked by the pass-equivalence tests",
            OpKind.batchNormTrainingFused.rawValue: "made by a pass after differentiation; checked by the pass-equivalence tests",
            OpKind.batchNormTrainingGradientFused.rawValue: "made by a pass after differentiation; checked by the pass-equivalence tests",
        ]
        for kind in LossKind.allCases {
            table["loss_grad.\(kind.kerasName)"] = "a gradient op (first order only); its values are the loss.\(kind.kerasName) checks"
        }
        return table
    }()

    /// Differentiable vocabulary names that none of `results` exercised.
    public static func missingCoverage(in results: [GradientCheckResult]) -> [String] {
        let covered = results.filter(\.passed).reduce(into: Set<String>()) { $0.formUnion($1.vocabulary) }
        return Op.vocabularyNames.filter { exemptions[$0] == nil && !covered.contains($0) }
    }

    /// Every case: single ops, then whole models.
    public static var cases: [GradientCheckCase] {
        unaryCases + binaryCases + structuralCases + normalizationCases + lossCases + compositeCases
    }

    // MARK: Whole models

    /// Small models end to end, every parameter and the input differentiated.
    public static var compositeCases: [GradientCheckCase] {
        let rows = 8
        func mlp(batchNormBeforeReLU: Bool) -> GradientCheckCase {
            GradientCheckCase("model", "3-5-1 MLP, batch norm \(batchNormBeforeReLU ? "before" : "after") ReLU, BCE", inputs: [
                CheckInput([rows, 3], draw: Domain.normal()), CheckInput([3, 5], draw: Domain.normal(0.7)), CheckInput([5], draw: Domain.normal(0.1)),
                CheckInput([5], draw: Domain.uniform(0.5, 1.5)), CheckInput([5], draw: Domain.normal(0.1)),
                CheckInput([5, 1], draw: Domain.normal(0.7)), CheckInput([1], draw: Domain.normal(0.1)),
                CheckInput([rows, 1], differentiable: false, draw: Domain.binaryLabel),
            ]) { g, v in
                let z1 = try g.add(g.matmul(v[0], v[1]), v[2])
                let h: NodeID
                if batchNormBeforeReLU {
                    h = try g.relu(g.batchNormTraining(z1, gamma: v[3], beta: v[4]).output)
                } else {
                    h = try g.batchNormTraining(g.relu(z1), gamma: v[3], beta: v[4]).output
                }
                let p = try g.sigmoid(g.add(g.matmul(h, v[5]), v[6]))
                return try g.loss(.binaryCrossEntropy, labels: v[7], predictions: p)
            }
        }
        let classifier = GradientCheckCase("model", "softmax classifier 4-3, categorical cross-entropy", inputs: [
            CheckInput([rows, 4], draw: Domain.normal()), CheckInput([4, 3], draw: Domain.normal()), CheckInput([3], draw: Domain.normal(0.1)),
            CheckInput([rows], differentiable: false, draw: Domain.classIndex(3)),
        ]) { g, v in
            let probabilities = try g.softmax(g.add(g.matmul(v[0], v[1]), v[2]))
            return try g.loss(.sparseCategoricalCrossEntropy, labels: v[3], predictions: probabilities)
        }
        let softLabels = GradientCheckCase("model", "softmax classifier 4-3, categorical cross-entropy, soft labels", inputs: [
            CheckInput([rows, 4], draw: Domain.normal()), CheckInput([4, 3], draw: Domain.normal()), CheckInput([3], draw: Domain.normal(0.1)),
            CheckInput([rows, 3], differentiable: false, draw: Domain.uniform(0, 1)),
        ]) { g, v in
            let probabilities = try g.softmax(g.add(g.matmul(v[0], v[1]), v[2]))
            return try g.loss(.categoricalCrossEntropy, labels: v[3], predictions: probabilities)
        }
        let logits = GradientCheckCase("model", "softmax classifier 4-3, cross-entropy on logits", inputs: [
            CheckInput([rows, 4], draw: Domain.normal()), CheckInput([4, 3], draw: Domain.normal()), CheckInput([3], draw: Domain.normal(0.1)),
            CheckInput([rows], differentiable: false, draw: Domain.classIndex(3)),
        ]) { g, v in
            try g.loss(.sparseSoftmaxCrossEntropy, labels: v[3], predictions: g.add(g.matmul(v[0], v[1]), v[2]))
        }
        return [mlp(batchNormBeforeReLU: false), mlp(batchNormBeforeReLU: true), classifier, softLabels, logits]
    }

    // MARK: Elementwise

    static var unaryCases: [GradientCheckCase] {
        let ops: [(UnaryOp, @Sendable (inout SeededRandom) -> Double)] = [
            (.neg, Domain.normal()), (.exp, Domain.normal()), (.log, Domain.positive), (.sqrt, Domain.positive),
            (.rsqrt, Domain.positive), (.square, Domain.normal()), (.abs, Domain.awayFromZero), (.sign, Domain.awayFromZero),
            (.pow(3), Domain.normal()), (.pow(2.5), Domain.positive), (.pow(-1.5), Domain.positive),
            (.clip(lower: -0.5, upper: 0.5), Domain.awayFromClipBounds), (.relu, Domain.awayFromZero),
            (.leakyRelu(alpha: 0.2), Domain.awayFromZero), (.elu(alpha: 1.0), Domain.awayFromZero), (.sigmoid, Domain.normal(2)),
            (.tanh, Domain.normal()), (.softplus, Domain.normal(2)),
            (.dropout(rate: 0.4, seed: 3, training: true), Domain.normal()),
            (.gaussianNoise(stddev: 0.3, seed: 5, training: true), Domain.normal()),
        ]
        return ops.flatMap { op, draw in
            [[3, 4], [2, 3, 2]].map { shape in
                GradientCheckCase(op.name, op.label, inputs: [CheckInput(shape, draw: draw)]) { g, x in try g.unary(op, x[0]) }
            }
        }
    }

    static var binaryCases: [GradientCheckCase] {
        let shapePairs: [([Int], [Int])] = [([3, 4], [3, 4]), ([3, 4], [4]), ([3, 1], [1, 4]), ([], [2, 3])]
        var ops: [(BinaryOp, @Sendable (inout SeededRandom) -> Double, @Sendable (inout SeededRandom) -> Double)] = [
            (.add, Domain.normal(), Domain.normal()), (.sub, Domain.normal(), Domain.normal()),
            (.mul, Domain.normal(), Domain.normal()), (.div, Domain.normal(), Domain.awayFromZero),
            (.maximum, Domain.normal(), Domain.normal()), (.minimum, Domain.normal(), Domain.normal()),
            (.sigmoidGradient, Domain.uniform(0.05, 0.95), Domain.normal()),
        ]
        for c in Comparison.allCases { ops.append((.compare(c), Domain.normal(), Domain.normal())) }
        return ops.flatMap { op, drawA, drawB in
            shapePairs.map { a, b in
                GradientCheckCase(op.name, "\(a) ⊕ \(b)", inputs: [CheckInput(a, draw: drawA), CheckInput(b, draw: drawB)]) { g, x in
                    try g.binary(op, x[0], x[1])
                }
            }
        }
    }

    // MARK: Linear algebra, softmax, reductions, shapes

    static var structuralCases: [GradientCheckCase] {
        var cases: [GradientCheckCase] = []
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = ta ? [4, 3] : [3, 4], b = tb ? [2, 4] : [4, 2]
            cases.append(GradientCheckCase("matmul", "transA \(ta), transB \(tb)", inputs: [CheckInput(a, draw: Domain.normal()), CheckInput(b, draw: Domain.normal())]) { g, x in
                try g.matmul(x[0], x[1], transposeA: ta, transposeB: tb)
            })
        }
        for (shape, axis) in [([3, 4], -1), ([3, 4], 0), ([2, 3, 4], 1)] {
            cases.append(GradientCheckCase("softmax", "axis \(axis)", inputs: [CheckInput(shape, draw: Domain.normal(2))]) { g, x in try g.softmax(x[0], axis: axis) })
            cases.append(GradientCheckCase("log_softmax", "axis \(axis)", inputs: [CheckInput(shape, draw: Domain.normal(2))]) { g, x in try g.logSoftmax(x[0], axis: axis) })
        }
        let reductions: [([Int], [Int], Bool)] = [([3, 4], [0], false), ([3, 4], [1], true), ([3, 4], [0, 1], false), ([2, 3, 4], [0, 2], true), ([2, 3, 4], [1], false)]
        for op in ReduceOp.allCases {
            for (shape, axes, keep) in reductions {
                cases.append(GradientCheckCase("reduce_\(op.rawValue)", "axes \(axes)\(keep ? " keepdims" : "")", inputs: [CheckInput(shape, draw: Domain.normal())]) { g, x in
                    try g.reduce(op, x[0], axes: axes, keepDims: keep)
                })
            }
        }
        cases.append(GradientCheckCase("reshape", "[3, 4] → [2, 6]", inputs: [CheckInput([3, 4], draw: Domain.normal())]) { g, x in try g.reshape(x[0], [2, 6]) })
        cases.append(GradientCheckCase("transpose", "[2, 3, 4] by [2, 0, 1]", inputs: [CheckInput([2, 3, 4], draw: Domain.normal())]) { g, x in try g.transpose(x[0], [2, 0, 1]) })
        cases.append(GradientCheckCase("transpose", "[3, 4] by [1, 0]", inputs: [CheckInput([3, 4], draw: Domain.normal())]) { g, x in try g.transpose(x[0]) })
        cases.append(GradientCheckCase("broadcast", "[3, 1] → [2, 3, 4]", inputs: [CheckInput([3, 1], draw: Domain.normal())]) { g, x in try g.broadcast(x[0], to: [2, 3, 4]) })
        cases.append(GradientCheckCase("broadcast", "[4] → [3, 4]", inputs: [CheckInput([4], draw: Domain.normal())]) { g, x in try g.broadcast(x[0], to: [3, 4]) })
        return cases
    }

    // MARK: Batch normalization

    static var normalizationCases: [GradientCheckCase] {
        var cases: [GradientCheckCase] = []
        for (scale, center) in [(true, true), (false, false), (true, false)] {
            for shape in [[6, 4], [3, 2, 4]] {
                var inputs = [CheckInput(shape, draw: Domain.normal(2))]
                if scale { inputs.append(CheckInput([4], draw: Domain.uniform(0.5, 1.5))) }
                if center { inputs.append(CheckInput([4], draw: Domain.normal())) }
                cases.append(GradientCheckCase("batch_norm_training", "\(shape) scale \(scale) center \(center)", inputs: inputs) { g, x in
                    try g.batchNormTraining(x[0], gamma: scale ? x[1] : nil, beta: center ? x[scale ? 2 : 1] : nil, epsilon: 1e-3).output
                })
            }
        }
        cases.append(GradientCheckCase("output", "batch mean + biased variance", inputs: [CheckInput([5, 3], draw: Domain.normal(2))]) { g, x in
            let bn = try g.batchNormTraining(x[0], gamma: nil, beta: nil)
            return try g.add(bn.mean, bn.variance)
        })
        cases.append(GradientCheckCase("output", "y + mean + variance together", inputs: [CheckInput([5, 3], draw: Domain.normal(2)), CheckInput([3], draw: Domain.uniform(0.5, 1.5))]) { g, x in
            let bn = try g.batchNormTraining(x[0], gamma: x[1], beta: nil)
            return try g.add(bn.output, g.mul(bn.mean, bn.variance))
        })
        for (scale, center) in [(true, true), (false, false)] {
            var inputs = [CheckInput([6, 4], draw: Domain.normal(2)), CheckInput([4], draw: Domain.normal()), CheckInput([4], draw: Domain.positive)]
            if scale { inputs.append(CheckInput([4], draw: Domain.uniform(0.5, 1.5))) }
            if center { inputs.append(CheckInput([4], draw: Domain.normal())) }
            cases.append(GradientCheckCase("batch_norm_inference", "scale \(scale) center \(center)", inputs: inputs) { g, x in
                try g.batchNormInference(x[0], mean: x[1], variance: x[2], gamma: scale ? x[3] : nil, beta: center ? x[scale ? 4 : 3] : nil)
            })
        }
        return cases
    }

    // MARK: Losses

    static var lossCases: [GradientCheckCase] {
        let rows = 5, k = 3
        return LossKind.allCases.map { kind in
            let predictions: @Sendable (inout SeededRandom) -> Double
            var labels: CheckInput
            switch kind {
            case .binaryCrossEntropy:
                predictions = Domain.probability
                labels = CheckInput([rows, k], differentiable: false, draw: Domain.binaryLabel)
            case .binaryCrossEntropyWithLogits:
                predictions = Domain.normal(2)
                labels = CheckInput([rows, k], differentiable: false, draw: Domain.uniform(0, 1))
            case .softmaxCrossEntropy:
                predictions = Domain.normal(2)
                labels = CheckInput([rows, k], differentiable: false, draw: Domain.uniform(0, 1))
            case .sparseSoftmaxCrossEntropy, .sparseCategoricalCrossEntropy:
                predictions = kind == .sparseSoftmaxCrossEntropy ? Domain.normal(2) : Domain.uniform(0.1, 1)
                labels = CheckInput([rows], differentiable: false, draw: Domain.classIndex(k))
            case .categoricalCrossEntropy:
                predictions = Domain.uniform(0.1, 1)
                labels = CheckInput([rows, k], differentiable: false, draw: Domain.uniform(0, 1))
            case .meanSquaredError, .meanAbsoluteError:
                predictions = Domain.normal()
                labels = CheckInput([rows, k], differentiable: false, draw: Domain.normal())
            case .meanSquaredLogarithmicError:
                predictions = Domain.uniform(0.1, 3)
                labels = CheckInput([rows, k], differentiable: false, draw: Domain.uniform(0, 3))
            case .hinge, .squaredHinge:
                predictions = Domain.normal()
                labels = CheckInput([rows, k], differentiable: false, draw: Domain.signLabel)
            case .kullbackLeiblerDivergence:
                predictions = Domain.uniform(0.1, 1)
                labels = CheckInput([rows, k], differentiable: false, draw: Domain.uniform(0.1, 1))
            }
            return GradientCheckCase("loss.\(kind.kerasName)", "per sample, [\(rows), \(k)]", inputs: [labels, CheckInput([rows, k], draw: predictions)]) { g, x in
                try g.loss(kind, labels: x[0], predictions: x[1], reduction: .none)
            }
        }
    }
}
