import Autodiff
import Graph
import Runtime

/// A training step built with the graph API: forward, loss, gradients, SGD-with-momentum updates
/// and batch-norm moving statistics, all assigns in one graph.
public struct TrainingStepGraph {
    public let graph: Graph
    public let input: NodeID
    public let labels: NodeID
    public let loss: NodeID
    public let updates: [NodeID]
    /// The GEMMs one step performs (forward, weight gradients, and input gradients of every layer
    /// but the first, whose input needs none).
    public let gemms: [GemmShape]
    /// `3 × 2·batch·Σ fan-in·fan-out`: the "effective" flops PyTorch's peer script counts (it
    /// includes the first layer's input gradient, which neither side computes).
    public let effectiveFlopsPerStep: Double
    public let batchSize: Int
    public let name: String
}

/// One matrix product `op(A)·op(B)` of shape `m×k` by `k×n`.
public struct GemmShape: Sendable, Equatable {
    public var m: Int, n: Int, k: Int
    public var transposeA: Bool, transposeB: Bool

    /// `2·m·n·k`.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    /// The GEMMs of a training step through dense layers of the given sizes at a batch size.
    public static func trainingStep(batch: Int, sizes: [Int]) -> [GemmShape] {
        var products: [GemmShape] = []
        for (layer, (fanIn, fanOut)) in zip(sizes, sizes.dropFirst()).enumerated() {
            products.append(GemmShape(m: batch, n: fanOut, k: fanIn, transposeA: false, transposeB: false))
            products.append(GemmShape(m: fanIn, n: fanOut, k: batch, transposeA: true, transposeB: false))
            if layer > 0 { products.append(GemmShape(m: batch, n: fanIn, k: fanOut, transposeA: false, transposeB: true)) }
        }
        return products
    }
}

/// Builders for the benchmark workloads.
public enum TrainingStepGraphs {
    /// Keras' SGD with momentum in one `apply_updates` node (the fused optimizer step `fit` runs):
    /// `v ← v·m − g·lr`, `w ← w + v` for every parameter in one kernel.
    static func fusedMomentumUpdate(_ g: Graph, parameters: [NodeID], gradients: [NodeID], learningRate: Double, momentum: Double) throws -> NodeID {
        try g.withRole(.update) {
            let groups = try zip(parameters, gradients).map { p, grad in
                (parameter: p, gradient: grad, slots: [try g.variable("\(g[p].name)/velocity", g[p].shape, trainable: false)])
            }
            return try g.applyUpdates(.momentum(momentum, nesterov: false), scalar: g.scalar(learningRate), groups, name: "optimizer/sgd")
        }
    }

    /// Keras' SGD with momentum: `v ← m·v − lr·g`, `w ← w + v`, as assigns (the form in which
    /// `fuse-gemm-epilogue` writes a weight's new velocity from its gradient's GEMM).
    static func momentumUpdates(_ g: Graph, parameters: [NodeID], gradients: [NodeID], learningRate: Double, momentum: Double) throws -> [NodeID] {
        try g.withRole(.update) {
            var updates: [NodeID] = []
            for (p, grad) in zip(parameters, gradients) {
                let name = g[p].name
                let velocity = try g.variable("\(name)/velocity", g[p].shape, trainable: false)
                let newVelocity = try g.sub(g.mul(velocity, g.scalar(momentum)), g.mul(grad, g.scalar(learningRate)))
                updates.append(try g.assign(velocity, newVelocity, name: "\(name)/velocity/assign"))
                updates.append(try g.assign(p, g.add(p, newVelocity), name: "\(name)/assign"))
            }
            return updates
        }
    }

    /// Keras moving statistics: `moving ← moving·momentum + batch·(1 − momentum)`.
    static func movingAverage(_ g: Graph, _ moving: NodeID, _ batch: NodeID, momentum: Double) throws -> NodeID {
        try g.withRole(.update) {
            try g.assign(moving, g.add(g.mul(moving, g.scalar(momentum)), g.mul(batch, g.scalar(1 - momentum))), name: "\(g[moving].name)/assign")
        }
    }

    static func heUniform(_ fanIn: Int, _ count: Int, _ random: inout SeededRandom) -> [Double] {
        let limit = (6 / Double(fanIn)).squareRoot()
        return (0..<count).map { _ in random.uniform(-limit, limit) }
    }

    /// A dense layer's variables: kernel `[inputs, units]` (He-uniform) and zero bias.
    static func dense(_ g: Graph, _ x: NodeID, units: Int, name: String, random: inout SeededRandom) throws -> (out: NodeID, kernel: NodeID, bias: NodeID) {
        let inputs = g[x].shape.dims.last!
        let kernel = try g.variable("\(name)/kernel", [inputs, units], initialValue: heUniform(inputs, inputs * units, &random))
        let bias = try g.variable("\(name)/bias", [units])
        let out = try g.add(g.matmul(x, kernel, name: "\(name)/matmul"), bias, name: "\(name)/bias_add")
        return (out, kernel, bias)
    }

    /// A batch-norm layer in training mode with gamma, beta and moving statistics.
    static func batchNorm(_ g: Graph, _ x: NodeID, name: String, momentum: Double, epsilon: Double,
                          updates: inout [NodeID]) throws -> (out: NodeID, gamma: NodeID, beta: NodeID) {
        let features = g[x].shape.dims.last!
        let gamma = try g.variable("\(name)/gamma", [features], initialValue: [Double](repeating: 1, count: features))
        let beta = try g.variable("\(name)/beta", [features])
        let movingMean = try g.variable("\(name)/moving_mean", [features], trainable: false)
        let movingVariance = try g.variable("\(name)/moving_variance", [features], initialValue: [Double](repeating: 1, count: features), trainable: false)
        let bn = try g.batchNormTraining(x, gamma: gamma, beta: beta, epsilon: epsilon, name: name)
        updates.append(try movingAverage(g, movingMean, bn.mean, momentum: momentum))
        updates.append(try movingAverage(g, movingVariance, bn.variance, momentum: momentum))
        return (bn.output, gamma, beta)
    }

    /// The deck's case-study step: Dense 50 (ReLU) → BatchNorm → Dense 1 (sigmoid), BCE,
    /// SGD lr 0.01 momentum 0.9 as one `apply_updates` node (as `fit` trains it), Keras BN defaults
    /// (momentum 0.99, epsilon 1e-3).
    public static func caseStudy(batchSize: Int = 32, seed: UInt64 = 1, dtype: DType = .float32) throws -> TrainingStepGraph {
        var random = SeededRandom(seed: seed)
        let g = Graph(dtype: dtype)
        let x = try g.placeholder("x", [Shape.batch, 2])
        let y = try g.placeholder("y", [Shape.batch, 1])
        var updates: [NodeID] = []
        let d1 = try dense(g, x, units: 50, name: "dense", random: &random)
        let h = try g.relu(d1.out, name: "dense/relu")
        let bn = try batchNorm(g, h, name: "batch_normalization", momentum: 0.99, epsilon: 1e-3, updates: &updates)
        let d2 = try dense(g, bn.out, units: 1, name: "dense_1", random: &random)
        let p = try g.sigmoid(d2.out, name: "dense_1/sigmoid")
        let loss = try g.loss(.binaryCrossEntropy, labels: y, predictions: p, name: "loss")
        let parameters = [d1.kernel, d1.bias, bn.gamma, bn.beta, d2.kernel, d2.bias]
        let gradients = try g.gradients(of: loss, wrt: parameters)
        updates.append(try fusedMomentumUpdate(g, parameters: parameters, gradients: gradients, learningRate: 0.01, momentum: 0.9))
        return TrainingStepGraph(graph: g, input: x, labels: y, loss: loss, updates: updates,
                                 gemms: GemmShape.trainingStep(batch: batchSize, sizes: [2, 50, 1]),
                                 effectiveFlopsPerStep: 3.0 * 2 * Double(batchSize) * Double(2 * 50 + 50 * 1),
                                 batchSize: batchSize, name: "casestudy-step")
    }

    /// The GEMM-bound step of `torch_mlp.py`: 784-1024-1024-10, Linear → BN → ReLU twice, softmax
    /// cross-entropy on sparse labels, SGD lr 0.01 momentum 0.9 (PyTorch BN: eps 1e-5, momentum 0.1
    /// = Keras momentum 0.9).
    public static func mlp(batchSize: Int = 256, seed: UInt64 = 1, dtype: DType = .float32) throws -> TrainingStepGraph {
        try mlp(sizes: [784, 1024, 1024, 10], batchSize: batchSize, seed: seed, dtype: dtype)
    }

    /// An MLP step of any sizes: Linear → BN → ReLU for every hidden layer, a linear output layer,
    /// sparse softmax cross-entropy, SGD lr 0.01 momentum 0.9.
    public static func mlp(sizes: [Int], batchSize: Int, seed: UInt64 = 1, dtype: DType = .float32) throws -> TrainingStepGraph {
        var random = SeededRandom(seed: seed)
        let g = Graph(dtype: dtype)
        let x = try g.placeholder("x", [Shape.batch, sizes[0]])
        let y = try g.placeholder("y", [Shape.batch])
        var updates: [NodeID] = []
        var parameters: [NodeID] = []
        var h = x
        for (i, units) in sizes.dropFirst().dropLast().enumerated() {
            let d = try dense(g, h, units: units, name: "dense_\(i)", random: &random)
            let bn = try batchNorm(g, d.out, name: "batch_normalization_\(i)", momentum: 0.9, epsilon: 1e-5, updates: &updates)
            h = try g.relu(bn.out, name: "relu_\(i)")
            parameters += [d.kernel, d.bias, bn.gamma, bn.beta]
        }
        let out = try dense(g, h, units: sizes.last!, name: "logits", random: &random)
        parameters += [out.kernel, out.bias]
        let loss = try g.loss(.sparseSoftmaxCrossEntropy, labels: y, predictions: out.out, name: "loss")
        let gradients = try g.gradients(of: loss, wrt: parameters)
        updates += try momentumUpdates(g, parameters: parameters, gradients: gradients, learningRate: 0.01, momentum: 0.9)
        let forwardFlops = zip(sizes, sizes.dropFirst()).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        return TrainingStepGraph(graph: g, input: x, labels: y, loss: loss, updates: updates,
                                 gemms: GemmShape.trainingStep(batch: batchSize, sizes: sizes),
                                 effectiveFlopsPerStep: 3.0 * 2 * Double(batchSize) * forwardFlops,
                                 batchSize: batchSize, name: "mlp-" + sizes.map(String.init).joined(separator: "-"))
    }
}
