/// Build-time shape inference: one exhaustive switch over `Op`. Every mismatch throws a
/// `GraphError.shapeMismatch` naming the node being built, its operands and their shapes.
public enum ShapeInference {
    /// The shapes of every output of `op` (named `name`) applied to `inputs`.
    public static func shapes(of op: Op, named name: String, inputs: [Node]) throws -> [Shape] {
        try op.validateAttributes(named: name)
        let context = Context(op: op, name: name, inputs: inputs)
        try context.expectArity(op.traits.arity)
        switch op {
        case .placeholder(let shape):
            try context.checkSourceShape(shape, allowBatch: true)
            return [shape]
        case .variable(let shape, _):
            try context.checkSourceShape(shape, allowBatch: false)
            return [shape]
        case .constant(let value):
            try context.checkSourceShape(value.shape, allowBatch: false)
            guard value.values.count == value.shape.elementCount else {
                throw GraphError.invalidArgument("constant \"\(name)\" of shape \(value.shape) needs \(value.shape.elementCount ?? 0) values, got \(value.values.count)")
            }
            return [value.shape]
        case .matmul(let ta, let tb):
            return [try context.matmulShape(transposeA: ta, transposeB: tb)]
        case .unary:
            return [inputs[0].shape]
        case .binary:
            return [try context.broadcastAll()]
        case .softmax(let axis), .logSoftmax(let axis):
            _ = try context.axis(axis, of: inputs[0])
            return [inputs[0].shape]
        case .reduce(_, let axes, let keepDims):
            return [try context.reducedShape(axes: axes, keepDims: keepDims)]
        case .reshape(let target):
            try context.checkReshape(to: target)
            return [target]
        case .transpose(let permutation):
            return [try context.transposedShape(permutation)]
        case .broadcast(let target):
            try context.checkBroadcast(to: target)
            return [target]
        case .batchNormTraining(let config), .batchNormTrainingFused(let config, _):
            let x = try context.batchNormInput(config)
            try context.checkBatchNormCount(x)
            let c = Shape([x.dims[x.rank - 1]])
            return [x, c, c]
        case .batchNormInference(let config):
            let x = try context.batchNormInput(config)
            return [x]
        case .batchNormTrainingGradient(let config):
            let x = try context.batchNormGradientInputs(config, reluMask: false)
            let c = Shape([x.dims[x.rank - 1]])
            return [x, c, c]
        case .batchNormTrainingGradientFused(let config, let masks):
            let x = try context.batchNormGradientInputs(config, reluMask: masks.cotangent)
            let c = Shape([x.dims[x.rank - 1]])
            return [x, c, c]
        case .output(let k):
            let source = inputs[0]
            guard k >= 1, k < source.shapes.count else {
                throw GraphError.invalidArgument("output(\(k)) \"\(name)\": \(context.describe(source)) has \(source.shapes.count) output(s); valid indices are 1..<\(source.shapes.count)")
            }
            return [source.shapes[k]]
        case .loss(let kind):
            return [try context.lossShape(kind, labels: inputs[0], predictions: inputs[1])]
        case .lossGradient(let kind):
            let perSample = try context.lossShape(kind, labels: inputs[1], predictions: inputs[2])
            guard inputs[0].shape == perSample else {
                throw context.mismatch("the cotangent \(context.describe(inputs[0])) must have the per-sample loss shape \(perSample)")
            }
            return [inputs[2].shape]
        case .assign:
            guard case .variable = inputs[0].op else {
                throw GraphError.invalidArgument("assign \"\(name)\": the target \(context.describe(inputs[0])) is a \(inputs[0].op.kind.rawValue), not a variable; only variables can be assigned")
            }
            guard inputs[0].shape == inputs[1].shape else {
                throw context.mismatch("the value \(context.describe(inputs[1])) does not have the variable's shape \(context.describe(inputs[0])); assign needs identical shapes")
            }
            return [inputs[0].shape]
        case .stopGradient:
            return [inputs[0].shape]
        case .applyUpdates(let rule, let n):
            return [try context.updatesShape(rule, parameters: n)]
        case .fusedElementwise(let program):
            try context.checkProgram(program)
            return [try context.broadcastAll()]
        case .gemmAccumulate(let accumulate):
            let out = try context.matmulShape(transposeA: accumulate.transposeA, transposeB: accumulate.transposeB)
            guard inputs[2].shape == out else {
                throw context.mismatch("the accumulated \(context.describe(inputs[2])) must have the product's shape \(out)")
            }
            return [out]
        case .gemmEpilogue(let epilogue):
            let out = try context.matmulShape(transposeA: epilogue.transposeA, transposeB: epilogue.transposeB)
            if epilogue.hasBias {
                let bias = inputs[2].shape
                guard bias == Shape([out.dims[1]]) else {
                    throw context.mismatch("the bias \(context.describe(inputs[2])) must have shape [\(out.dims[1])] for a product of shape \(out)")
                }
            }
            return [out]
        }
    }
}

/// The node being built and its operands, for checks and messages.
private struct Context {
    let op: Op
    let name: String
    let inputs: [Node]

    var opName: String { op.kind.rawValue }

    func describe(_ node: Node) -> String { "\"\(node.name)\" \(node.shape)" }

    func mismatch(_ detail: String) -> GraphError {
        .shapeMismatch("\(opName) \"\(name)\": \(detail)")
    }

    func expectArity(_ n: Int) throws {
        guard inputs.count == n else {
            throw GraphError.invalidArgument("\(opName) \"\(name)\" takes \(n) input(s), got \(inputs.count)")
        }
    }

    func checkSourceShape(_ shape: Shape, allowBatch: Bool) throws {
        for (axis, d) in shape.dims.enumerated() {
            if d == Shape.batch {
                guard allowBatch, axis == 0 else {
                    throw GraphError.invalidArgument("\(opName) \"\(name)\" has shape \(shape): only a placeholder's leading axis may be the symbolic batch (?)")
                }
            } else if d < 1 {
                throw GraphError.invalidArgument("\(opName) \"\(name)\" has shape \(shape): every extent must be at least 1")
            }
        }
    }

    func axis(_ axis: Int, of node: Node) throws -> Int {
        guard let a = node.shape.normalizedAxis(axis) else {
            throw GraphError.invalidArgument("\(opName) \"\(name)\": axis \(axis) is out of range for \(describe(node)) of rank \(node.shape.rank)")
        }
        return a
    }

    func matmulShape(transposeA: Bool, transposeB: Bool) throws -> Shape {
        let a = inputs[0], b = inputs[1]
        guard a.shape.rank == 2, b.shape.rank == 2 else {
            throw mismatch("\(describe(a)) x \(describe(b)) — matmul needs rank-2 operands; reshape them first")
        }
        let (m, k1) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        let flags = (transposeA ? "ᵀ" : "", transposeB ? "ᵀ" : "")
        guard k1 == k2 else {
            func show(_ d: Int) -> String { d == Shape.batch ? "? (batch)" : String(d) }
            throw mismatch("\(describe(a))\(flags.0) x \(describe(b))\(flags.1) — inner dimensions \(show(k1)) and \(show(k2)) differ")
        }
        guard n != Shape.batch else {
            throw mismatch("\(describe(a))\(flags.0) x \(describe(b))\(flags.1) — the batch dimension would become the last axis of the product; only the leading axis may be the batch")
        }
        return Shape([m, n])
    }

    func broadcastAll() throws -> Shape {
        guard var result = inputs.first?.shape else { return .scalar }
        for other in inputs.dropFirst() {
            switch Shape.broadcast(result, other.shape) {
            case .success(let s): result = s
            case .failure(let failure):
                let operands = inputs.map(describe).joined(separator: " and ")
                throw mismatch("\(operands) do not broadcast — \(failure.extentsDescription); make them equal or 1 there")
            }
        }
        if result.dims.dropFirst().contains(Shape.batch) {
            throw mismatch("broadcasting \(inputs.map(describe).joined(separator: " and ")) would put the batch dimension off the leading axis")
        }
        return result
    }

    func reducedShape(axes: [Int], keepDims: Bool) throws -> Shape {
        let x = inputs[0]
        var normalized = Set<Int>()
        for a in axes {
            let n = try axis(a, of: x)
            guard normalized.insert(n).inserted else {
                throw GraphError.invalidArgument("\(opName) \"\(name)\": axis \(a) is listed twice in \(axes)")
            }
        }
        var dims: [Int] = []
        for (i, d) in x.shape.dims.enumerated() {
            if normalized.contains(i) {
                if keepDims { dims.append(1) }
            } else {
                dims.append(d)
            }
        }
        let result = Shape(dims)
        if result.dims.dropFirst().contains(Shape.batch) {
            throw mismatch("reducing \(describe(x)) over \(axes) would leave the batch dimension off the leading axis")
        }
        return result
    }

    func checkReshape(to target: Shape) throws {
        let x = inputs[0]
        if target.dims.dropFirst().contains(Shape.batch) || target.dims.contains(where: { $0 < 1 && $0 != Shape.batch }) {
            throw GraphError.invalidArgument("reshape \"\(name)\": target \(target) may only have ? as its leading extent and positive extents elsewhere")
        }
        switch (x.shape.hasSymbolicBatch, target.hasSymbolicBatch) {
        case (false, false):
            guard x.shape.elementCount == target.elementCount else {
                throw mismatch("\(describe(x)) has \(x.shape.elementCount ?? 0) elements, the target \(target) has \(target.elementCount ?? 0)")
            }
        case (true, true):
            guard x.shape.elementsPerBatchRow == target.elementsPerBatchRow else {
                throw mismatch("\(describe(x)) has \(x.shape.elementsPerBatchRow) elements per batch row, the target \(target) has \(target.elementsPerBatchRow)")
            }
        default:
            throw mismatch("\(describe(x)) cannot be reshaped to \(target): keep the batch dimension (?) leading on both sides or on neither")
        }
    }

    func transposedShape(_ permutation: [Int]) throws -> Shape {
        let x = inputs[0]
        guard permutation.sorted() == Array(0..<x.shape.rank) else {
            throw GraphError.invalidArgument("transpose \"\(name)\": \(permutation) is not a permutation of the \(x.shape.rank) axes of \(describe(x))")
        }
        if x.shape.hasSymbolicBatch && permutation[0] != 0 {
            throw mismatch("transposing \(describe(x)) by \(permutation) moves the batch dimension off the leading axis")
        }
        return Shape(permutation.map { x.shape.dims[$0] })
    }

    func checkBroadcast(to target: Shape) throws {
        let x = inputs[0]
        if target.dims.dropFirst().contains(Shape.batch) {
            throw GraphError.invalidArgument("broadcast \"\(name)\": target \(target) may only have ? as its leading extent")
        }
        guard x.shape.broadcasts(to: target) else {
            throw mismatch("\(describe(x)) does not broadcast to \(target); each extent must equal the target's or be 1")
        }
        if x.shape.rank == target.rank, x.shape.hasSymbolicBatch != target.hasSymbolicBatch, x.shape.dims.first != 1 {
            throw mismatch("\(describe(x)) does not broadcast to \(target): the batch dimension must stay symbolic")
        }
    }

    /// Checks `x, [statistics…], [gamma], [beta]` and returns the shape of `x`.
    func batchNormInput(_ config: BatchNormConfig) throws -> Shape {
        let x = inputs[0].shape
        guard x.rank >= 2, x.dims.last != Shape.batch else {
            throw mismatch("\(describe(inputs[0])) must have rank 2 or more with the features on the last axis")
        }
        let features = Shape([x.dims[x.rank - 1]])
        for input in inputs.dropFirst() where input.shape != features {
            throw mismatch("\(describe(input)) must have shape \(features), one value per feature of \(describe(inputs[0]))")
        }
        return x
    }

    func batchNormGradientInputs(_ config: BatchNormConfig, reluMask: Bool) throws -> Shape {
        let dy = inputs[0], x = inputs[1]
        guard dy.shape == x.shape else {
            throw mismatch("the cotangent \(describe(dy)) must have the shape of the input \(describe(x))")
        }
        guard x.shape.rank >= 2 else {
            throw mismatch("\(describe(x)) must have rank 2 or more with the features on the last axis")
        }
        let features = Shape([x.shape.dims[x.shape.rank - 1]])
        for input in inputs[2..<(4 + (config.scale ? 1 : 0))] where input.shape != features {
            throw mismatch("\(describe(input)) must have shape \(features)")
        }
        if reluMask, inputs[inputs.count - 1].shape != x.shape {
            throw mismatch("the ReLU output \(describe(inputs[inputs.count - 1])) must have the shape of \(describe(x))")
        }
        return x.shape
    }

    /// Training mode needs at least one value per feature; a batch of one normalizes to β (its
    /// variance is 0), as in Keras.
    func checkBatchNormCount(_ x: Shape) throws {
        if x.isConcrete, x.dims.dropLast().reduce(1, *) == 0 {
            throw GraphError.invalidArgument("\(opName) \"\(name)\": \(describe(inputs[0])) is empty; batch normalization needs at least one row")
        }
    }

    /// `apply_updates`: a scalar first; per parameter a trainable-or-not variable, a gradient of
    /// its (concrete) shape and slot variables of that shape, no variable updated twice.
    func updatesShape(_ rule: UpdateRule, parameters: Int) throws -> Shape {
        guard inputs.first?.shape.elementCount == 1 else {
            throw mismatch("the first input \(inputs.first.map(describe) ?? "none") must be a scalar (the learning rate, or Adam's α)")
        }
        var written = Set<NodeID>()
        for p in 0..<parameters {
            let group = inputs[(1 + p * rule.inputsPerParameter)..<(1 + (p + 1) * rule.inputsPerParameter)]
            let parameter = group[group.startIndex], gradient = group[group.startIndex + 1]
            guard parameter.shape.isConcrete, gradient.shape == parameter.shape else {
                throw mismatch("the gradient \(describe(gradient)) must have the shape of parameter \(describe(parameter))")
            }
            for (k, variable) in ([parameter] + group.dropFirst(2)).enumerated() {
                guard case .variable = variable.op else {
                    throw GraphError.invalidArgument("\(opName) \"\(name)\": \(describe(variable)) is a \(variable.op.kind.rawValue), not a variable; only variables can be updated")
                }
                guard variable.shape == parameter.shape else {
                    throw mismatch("slot \(k) \(describe(variable)) must have the shape of parameter \(describe(parameter))")
                }
                guard written.insert(variable.id).inserted else {
                    throw GraphError.invalidArgument("\(opName) \"\(name)\": variable \(describe(variable)) is updated twice")
                }
            }
        }
        return .scalar
    }

    func lossShape(_ kind: LossKind, labels: Node, predictions: Node) throws -> Shape {
        let p = predictions.shape
        guard p.rank == 2 else {
            throw mismatch("predictions \(describe(predictions)) must have shape [batch, k]; reshape a vector of n predictions to [n, 1]")
        }
        if kind.hasSparseLabels {
            guard labels.shape == Shape([p[0]]) || labels.shape == Shape([p[0], 1]) else {
                let n = p[0] == Shape.batch ? "?" : String(p[0])
                throw mismatch("sparse labels \(describe(labels)) must have shape [\(n)] or [\(n), 1], class indices for predictions \(describe(predictions))")
            }
        } else {
            guard labels.shape == p else {
                throw mismatch("labels \(describe(labels)) and predictions \(describe(predictions)) must have the same shape")
            }
        }
        return Shape([p[0]])
    }

    func checkProgram(_ program: ElementwiseProgram) throws {
        for (i, instruction) in program.instructions.enumerated() {
            let operands: [Int]
            switch instruction {
            case .input(let k):
                guard k >= 0, k < program.inputCount else {
                    throw GraphError.invalid("fused_elementwise \"\(name)\": instruction \(i) reads input \(k) of \(program.inputCount)")
                }
                operands = []
            case .constant: operands = []
            case .unary(_, let r): operands = [r]
            case .binary(_, let r1, let r2): operands = [r1, r2]
            }
            for r in operands where r < 0 || r >= i {
                throw GraphError.invalid("fused_elementwise \"\(name)\": instruction \(i) reads register \(r), which is not defined before it")
            }
        }
        guard !program.instructions.isEmpty else {
            throw GraphError.invalid("fused_elementwise \"\(name)\" has no instructions")
        }
    }
}
