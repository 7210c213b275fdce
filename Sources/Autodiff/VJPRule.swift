import Graph

/// The vector-Jacobian product of one node: given the cotangent of each of its outputs, the
/// cotangent of each input, built as new graph nodes. This is Autodiff's exhaustive switch over
/// `Op`. Inputs no path from a `wrt` node runs through (`relevant` false) get no cotangent.
struct VJPRule {
    let graph: Graph
    let node: Node
    let relevant: [Bool]

    private var x: [NodeID] { node.inputs }
    private var y: NodeID { node.id }

    func cotangents(_ outputCotangents: [NodeID?]) throws -> [NodeID?] {
        guard let dy = outputCotangents[0] ?? nil else {
            return try batchNormStatisticsOnly(outputCotangents)
        }
        let g = graph
        switch node.op {
        case .placeholder, .variable, .constant:
            return []

        case .matmul(let ta, let tb):
            let (a, b) = (x[0], x[1])
            let da: NodeID?, db: NodeID?
            switch (ta, tb) {
            case (false, false):
                da = try need(0) { try g.matmul(dy, b, transposeB: true) }
                db = try need(1) { try g.matmul(a, dy, transposeA: true) }
            case (true, false):
                da = try need(0) { try g.matmul(b, dy, transposeB: true) }
                db = try need(1) { try g.matmul(a, dy) }
            case (false, true):
                da = try need(0) { try g.matmul(dy, b) }
                db = try need(1) { try g.matmul(dy, a, transposeA: true) }
            case (true, true):
                da = try need(0) { try g.matmul(b, dy, transposeA: true, transposeB: true) }
                db = try need(1) { try g.matmul(dy, a, transposeA: true, transposeB: true) }
            }
            return [da, db]

        case .unary(let op):
            return [try unaryCotangent(op, dy)]

        case .binary(let op):
            return try binaryCotangents(op, dy)

        case .softmax(let axis):
            // dx = y·(dy − Σ_axis dy·y)
            let inner = try g.sum(g.mul(dy, y), axes: [axis], keepDims: true)
            return [try g.mul(y, g.sub(dy, inner))]

        case .logSoftmax(let axis):
            // dx = dy − e^y·Σ_axis dy
            let total = try g.sum(dy, axes: [axis], keepDims: true)
            return [try g.sub(dy, g.mul(g.exp(y), total))]

        case .reduce(let op, let axes, let keepDims):
            let input = g[x[0]].shape
            let normalized = axes.map { $0 < 0 ? $0 + input.rank : $0 }
            let kept = Shape(input.dims.enumerated().map { normalized.contains($0.offset) ? 1 : $0.element })
            let dyKept = keepDims ? dy : try g.reshape(dy, kept)
            switch op {
            case .sum:
                return [try g.broadcast(dyKept, to: input)]
            case .mean:
                let spread = try g.broadcast(dyKept, to: input)
                return [try g.div(spread, count(of: x[0], over: normalized))]
            case .max:
                // The maxima share the gradient evenly.
                let yKept = keepDims ? y : try g.reshape(y, kept)
                let mask = try g.compare(.equal, x[0], g.broadcast(yKept, to: input))
                let ties = try g.sum(mask, axes: normalized, keepDims: true)
                return [try g.mul(g.broadcast(g.div(dyKept, ties), to: input), mask)]
            }

        case .reshape:
            return [try g.reshape(dy, g[x[0]].shape)]

        case .transpose(let permutation):
            var inverse = [Int](repeating: 0, count: permutation.count)
            for (i, p) in permutation.enumerated() { inverse[p] = i }
            return [try g.transpose(dy, inverse)]

        case .broadcast:
            return [try unbroadcast(dy, to: x[0])]

        case .batchNormTraining:
            return try batchNormTrainingCotangents(outputCotangents)

        case .batchNormInference(let config):
            return try batchNormInferenceCotangents(config, dy)

        case .output:
            // Handled by the traversal, which routes the cotangent to the source's output slot.
            return [nil]

        case .loss(let kind):
            try refuse(0, "the labels of \(kind.kerasName) \"\(node.name)\" are data; losses are differentiable with respect to their predictions only")
            return [nil, try g.addNode(.lossGradient(kind), inputs: [dy, x[0], x[1]])]

        case .stopGradient:
            return [nil]

        case .assign:
            try refuse(0, "assign \"\(node.name)\" is a side effect; differentiate the value before assigning it")
            try refuse(1, "assign \"\(node.name)\" is a side effect; differentiate the value before assigning it")
            return [nil, nil]

        case .applyUpdates:
            for i in x.indices {
                try refuse(i, "apply_updates \"\(node.name)\" is a side effect; differentiate before updating")
            }
            return x.map { _ in nil }

        case .batchNormTrainingGradient, .lossGradient:
            for i in x.indices {
                try refuse(i, "\(node.op.kind.rawValue) \"\(node.name)\" has no derivative of its own (second order is supported through elementwise ops and matmul)")
            }
            return x.map { _ in nil }

        case .fusedElementwise, .gemmEpilogue, .gemmAccumulate, .batchNormTrainingFused, .batchNormTrainingGradientFused:
            for i in x.indices {
                try refuse(i, "\(node.op.kind.rawValue) \"\(node.name)\" is made by a fusion pass; differentiate the graph before running passes")
            }
            return x.map { _ in nil }
        }
    }

    // MARK: Elementwise

    private func unaryCotangent(_ op: UnaryOp, _ dy: NodeID) throws -> NodeID? {
        let g = graph
        let input = x[0]
        switch op {
        case .neg: return try g.neg(dy)
        case .exp: return try g.mul(dy, y)
        case .log: return try g.div(dy, input)
        case .sqrt: return try g.div(g.mul(dy, g.scalar(0.5)), y)
        case .rsqrt: return try g.mul(dy, g.mul(g.scalar(-0.5), g.pow(y, 3)))
        case .square: return try g.mul(dy, g.mul(input, g.scalar(2)))
        case .abs: return try g.mul(dy, g.sign(input))
        case .sign: return nil
        case .pow(let p): return try g.mul(dy, g.mul(g.scalar(p), g.pow(input, p - 1)))
        case .clip(let lower, let upper):
            let inside = try g.mul(g.compare(.greaterEqual, input, g.scalar(lower)), g.compare(.lessEqual, input, g.scalar(upper)))
            return try g.mul(dy, inside)
        case .relu:
            // Through the output: y > 0 exactly where x > 0, so the derivative at 0 is 0.
            return try g.mul(dy, g.compare(.greater, y, g.scalar(0)))
        case .leakyRelu(let alpha):
            let positive = try g.compare(.greater, input, g.scalar(0))
            return try g.mul(dy, g.add(g.mul(positive, g.scalar(1 - alpha)), g.scalar(alpha)))
        case .elu(let alpha):
            // 1 for x > 0, else α·eˣ = y + α.
            let positive = try g.compare(.greater, input, g.scalar(0))
            let negativeSlope = try g.mul(g.sub(g.scalar(1), positive), g.add(y, g.scalar(alpha)))
            return try g.mul(dy, g.add(positive, negativeSlope))
        case .sigmoid: return try g.binary(.sigmoidGradient, y, dy)
        case .tanh: return try g.mul(dy, g.sub(g.scalar(1), g.square(y)))
        case .softplus: return try g.mul(dy, g.sigmoid(input))
        case .dropout:
            // The same op on the cotangent draws the same mask (same seed, step and index).
            return try g.unary(op, dy)
        case .gaussianNoise: return dy
        }
    }

    private func binaryCotangents(_ op: BinaryOp, _ dy: NodeID) throws -> [NodeID?] {
        let g = graph
        let (a, b) = (x[0], x[1])
        switch op {
        case .add:
            return [try need(0) { try unbroadcast(dy, to: a) }, try need(1) { try unbroadcast(dy, to: b) }]
        case .sub:
            return [try need(0) { try unbroadcast(dy, to: a) }, try need(1) { try unbroadcast(g.neg(dy), to: b) }]
        case .mul:
            return [try need(0) { try unbroadcast(g.mul(dy, b), to: a) }, try need(1) { try unbroadcast(g.mul(dy, a), to: b) }]
        case .div:
            return [try need(0) { try unbroadcast(g.div(dy, b), to: a) },
                    try need(1) { try unbroadcast(g.neg(g.div(g.mul(dy, y), b)), to: b) }]
        case .maximum, .minimum:
            // Ties split the gradient evenly (PyTorch's convention).
            let winner = try g.compare(op == .maximum ? .greater : .less, a, b)
            let share = try g.add(winner, g.mul(g.compare(.equal, a, b), g.scalar(0.5)))
            return [try need(0) { try unbroadcast(g.mul(dy, share), to: a) },
                    try need(1) { try unbroadcast(g.mul(dy, g.sub(g.scalar(1), share)), to: b) }]
        case .compare:
            return [nil, nil]
        case .sigmoidGradient:
            // out = c·s·(1 − s): ∂/∂s = c·(1 − 2s), ∂/∂c = s·(1 − s).
            return [try need(0) { try unbroadcast(g.mul(dy, g.mul(b, g.sub(g.scalar(1), g.mul(g.scalar(2), a)))), to: a) },
                    try need(1) { try unbroadcast(g.binary(.sigmoidGradient, a, dy), to: b) }]
        }
    }

    // MARK: Batch normalization

    /// Training mode: the closed-form op for the normalized output, plus the direct terms of
    /// cotangents on the batch mean (`dμ/dx = 1/m`) and biased variance (`dσ²/dx = 2(x − μ)/m`).
    private func batchNormTrainingCotangents(_ cotangents: [NodeID?]) throws -> [NodeID?] {
        guard case .batchNormTraining(let config) = node.op else { return x.map { _ in nil } }
        let g = graph
        let mean = try statistic(1), variance = try statistic(2)
        var result = [NodeID?](repeating: nil, count: x.count)
        if let dy = cotangents[0] {
            let inputs = [dy, x[0], mean, variance] + (config.scale ? [x[1]] : [])
            let gradient = try g.addNode(.batchNormTrainingGradient(config), inputs: inputs)
            result[0] = gradient
            if config.scale { result[1] = try g.output(1, of: gradient) }
            if config.center { result[config.scale ? 2 : 1] = try g.output(2, of: gradient) }
        }
        if let extra = try statisticsTerms(cotangents, mean: mean) {
            result[0] = try result[0].map { try g.add($0, extra) } ?? extra
        }
        return result
    }

    private func batchNormStatisticsOnly(_ cotangents: [NodeID?]) throws -> [NodeID?] {
        guard case .batchNormTraining = node.op else { return x.map { _ in nil } }
        return try batchNormTrainingCotangents(cotangents)
    }

    private func statisticsTerms(_ cotangents: [NodeID?], mean: NodeID) throws -> NodeID? {
        let g = graph
        let input = x[0], shape = g[input].shape
        let rowAxes = Array(0..<(shape.rank - 1))
        var term: NodeID?
        if cotangents.count > 1, let dMean = cotangents[1] {
            term = try g.div(g.broadcast(dMean, to: shape), count(of: input, over: rowAxes))
        }
        if cotangents.count > 2, let dVariance = cotangents[2] {
            let centered = try g.sub(input, mean)
            let v = try g.div(g.mul(g.mul(centered, dVariance), g.scalar(2)), count(of: input, over: rowAxes))
            term = try term.map { try g.add($0, v) } ?? v
        }
        return term
    }

    /// Output `k` of the batch-norm node (reusing an existing `output(k)` node when there is one).
    private func statistic(_ k: Int) throws -> NodeID {
        if let existing = graph.nodes.first(where: { $0.op == .output(k) && $0.inputs == [y] }) { return existing.id }
        return try graph.output(k, of: y)
    }

    /// Inference mode, composed of primitives: with `r = 1/√(σ² + ε)` and `γ` (or 1),
    /// `dx = dy·γ·r`, `dμ = −Σ dy·γ·r`, `dσ² = −½·r³·Σ dy·γ·(x − μ)`, `dγ = Σ dy·(x − μ)·r`, `dβ = Σ dy`.
    private func batchNormInferenceCotangents(_ config: BatchNormConfig, _ dy: NodeID) throws -> [NodeID?] {
        let g = graph
        let (input, mean, variance) = (x[0], x[1], x[2])
        let gamma = config.scale ? x[3] : nil
        let rowAxes = Array(0..<(g[input].shape.rank - 1))
        let r = try g.rsqrt(g.add(variance, g.scalar(config.epsilon)))
        let scale = try gamma.map { try g.mul($0, r) } ?? r
        let centered = try g.sub(input, mean)
        var result: [NodeID?] = [
            try need(0) { try g.mul(dy, scale) },
            try need(1) { try g.neg(g.sum(g.mul(dy, scale), axes: rowAxes)) },
            try need(2) {
                let weighted = try g.sum(g.mul(dy, centered), axes: rowAxes)
                let withGamma = try gamma.map { try g.mul(weighted, $0) } ?? weighted
                return try g.mul(withGamma, g.mul(g.scalar(-0.5), g.pow(r, 3)))
            },
        ]
        if config.scale { result.append(try need(3) { try g.sum(g.mul(dy, g.mul(centered, r)), axes: rowAxes) }) }
        if config.center { result.append(try need(config.scale ? 4 : 3) { try g.sum(dy, axes: rowAxes) }) }
        return result
    }

    // MARK: Helpers

    /// Builds the cotangent of input `i` only when a differentiated path runs through it.
    private func need(_ i: Int, _ make: () throws -> NodeID) throws -> NodeID? {
        relevant[i] ? try make() : nil
    }

    /// Throws when a differentiated path runs through input `i`.
    private func refuse(_ i: Int, _ reason: String) throws {
        if relevant[i] {
            throw AutodiffError.nonDifferentiable("input \(i) \"\(graph[x[i]].name)\" → \(reason)")
        }
    }

    /// `dy` summed over the axes along which `target` was broadcast, reshaped to its shape.
    private func unbroadcast(_ dy: NodeID, to target: NodeID) throws -> NodeID {
        let g = graph
        let from = g[dy].shape, to = g[target].shape
        if from == to { return dy }
        let offset = from.rank - to.rank
        var axes = Array(0..<offset)
        for i in 0..<to.rank where to.dims[i] == 1 && from.dims[i + offset] != 1 { axes.append(i + offset) }
        let summed = axes.isEmpty ? dy : try g.sum(dy, axes: axes, keepDims: true)
        return g[summed].shape == to ? summed : try g.reshape(summed, to)
    }

    /// The number of elements of `id` along `axes`: a constant when those extents are known,
    /// otherwise computed at run time by summing ones over the (batch-sized) axes.
    private func count(of id: NodeID, over axes: [Int]) throws -> NodeID {
        let g = graph
        let shape = g[id].shape
        if axes.allSatisfy({ shape.dims[$0] != Shape.batch }) {
            return try g.scalar(Double(axes.reduce(1) { $0 * shape.dims[$1] }))
        }
        let ones = try g.broadcast(g.scalar(1), to: Shape(shape.dims.enumerated().map { axes.contains($0.offset) ? $0.element : 1 }))
        return try g.sum(ones)
    }
}
