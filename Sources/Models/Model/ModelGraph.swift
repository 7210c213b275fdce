import Autodiff
import Graph
import Runtime

/// The one graph of a compiled model and the nodes its executables fetch and run.
struct ModelGraph {
    let graph: Graph
    let x: NodeID
    let y: NodeID
    let learningRate: NodeID
    let iterations: NodeID
    /// Variables by name: layer parameters, then optimizer state.
    let variables: [String: NodeID]
    /// The gradient of the loss for every trainable variable, by variable name.
    let gradients: [String: NodeID]
    /// The training loss with every penalty and layer loss.
    let trainLoss: NodeID
    /// `[loss] + metrics` in training mode, and every update (assigns).
    let trainFetches: [NodeID]
    let trainTargets: [NodeID]
    /// `[loss] + metrics` in inference mode.
    let evaluationFetches: [NodeID]
    /// What each metric fetches in the training step (evaluation's are laid out alike).
    let trainMetrics: [MetricFetches]
    /// The inference-mode output.
    let prediction: NodeID
    /// Every layer's output by layer name, in the training forward and in the inference one.
    let layerOutputs: [ForwardMode: [String: NodeID]]
}

/// Builds a `ModelGraph`: placeholders, variables holding the model's current weights, the
/// training forward with loss and regularization, gradients, clipping, the optimizer and
/// constraints, then the inference forward over the same variables.
struct ModelGraphBuilder {
    let model: Sequential
    let optimizer: Optimizer
    let loss: Loss
    let metrics: [Metric]
    let g = Graph(dtype: .float32)

    private typealias Trainable = (name: String, id: NodeID, spec: ParameterSpec)

    func build() throws -> ModelGraph {
        let (x, y) = try placeholders()
        var (variables, trainable, regularized) = try parameters()
        let (trainOutput, trainContext, trainLayers) = try forward(x, training: true, variables: variables)
        let (trainLoss, trainMetrics) = try objective(trainOutput, y, trainContext, regularized: regularized, prefix: "")
        let rawGradients = try g.gradients(of: trainLoss, wrt: trainable.map(\.id))
        let learningRate = try g.variable("optimizer/learning_rate", .scalar, initialValue: [optimizer.learningRate.value(atStep: 0)], trainable: false)
        let iterations = try g.variable("optimizer/iterations", .scalar, initialValue: [0], trainable: false)
        variables["optimizer/learning_rate"] = learningRate
        variables["optimizer/iterations"] = iterations
        let (updates, slots) = try optimizerUpdates(trainable, rawGradients, learningRate: learningRate, iterations: iterations)
        variables.merge(slots) { first, _ in first }
        let (inferenceOutput, inferenceContext, inferenceLayers) = try forward(x, training: false, variables: variables)
        let (inferenceLoss, inferenceMetrics) = try objective(inferenceOutput, y, inferenceContext, regularized: regularized, prefix: "inference/")
        return ModelGraph(graph: g, x: x, y: y, learningRate: learningRate, iterations: iterations, variables: variables,
                          gradients: Dictionary(uniqueKeysWithValues: zip(trainable.map(\.name), rawGradients)),
                          trainLoss: trainLoss, trainFetches: [trainLoss] + trainMetrics.flatMap(\.nodes), trainTargets: trainContext.updates + updates,
                          evaluationFetches: [inferenceLoss] + inferenceMetrics.flatMap(\.nodes), trainMetrics: trainMetrics,
                          prediction: inferenceOutput, layerOutputs: [.training: trainLayers, .inference: inferenceLayers])
    }

    /// `x` of the input shape; `y` of the output shape, or one class index per row for sparse losses.
    private func placeholders() throws -> (NodeID, NodeID) {
        guard let inputShape = model.inputShape, let outputShape = model.outputShape else {
            throw ModelError.notReady("model \"\(model.name)\" is not built")
        }
        let x = try g.placeholder("x", Shape([Shape.batch] + inputShape))
        guard loss.hasSparseLabels else { return (x, try g.placeholder("y", Shape([Shape.batch] + outputShape))) }
        guard outputShape.count == 1 else {
            throw ModelError.shapeMismatch("\(loss.kerasName) needs outputs of shape (batch, classes); the model outputs (batch, \(outputShape.map(String.init).joined(separator: ", ")))")
        }
        return (x, try g.placeholder("y", [Shape.batch]))
    }

    /// A variable per layer parameter, initialised with the model's current weights.
    private func parameters() throws -> ([String: NodeID], [Trainable], [(NodeID, Regularizer)]) {
        var variables: [String: NodeID] = [:]
        var trainable: [Trainable] = []
        var regularized: [(NodeID, Regularizer)] = []
        for (_, name, spec) in model.parameterList {
            guard let weights = model.pendingWeights[name] else { throw ModelError.notReady("model \"\(model.name)\" has no weights for \"\(name)\"") }
            let id = try g.variable(name, Shape(spec.shape), initialValue: weights.map(Double.init), trainable: spec.trainable)
            variables[name] = id
            if spec.trainable { trainable.append((name, id, spec)) }
            if let r = spec.regularizer { regularized.append((id, r)) }
        }
        return (variables, trainable, regularized)
    }

    private func forward(_ x: NodeID, training: Bool, variables: [String: NodeID]) throws -> (output: NodeID, context: LayerContext, layers: [String: NodeID]) {
        let context = LayerContext(graph: g, training: training, variables: variables)
        var h = x
        var outputs: [String: NodeID] = [:]
        for layer in model.layers {
            h = try g.withNameScope(training ? layer.name : "inference/\(layer.name)") { try layer.forward(h, context) }
            outputs[layer.name] = h
        }
        return (h, context, outputs)
    }

    /// The loss plus every weight penalty and layer loss, and the metrics' fetches.
    private func objective(_ output: NodeID, _ y: NodeID, _ context: LayerContext, regularized: [(NodeID, Regularizer)],
                           prefix: String) throws -> (NodeID, [MetricFetches]) {
        var total = try g.loss(loss.kind, labels: y, predictions: output, name: "\(prefix)loss")
        let penalties = try regularized.map { try $1.penalty($0, in: g) } + context.losses
        for penalty in penalties { total = try g.add(total, penalty) }
        let metricFetches = try metrics.map { try $0.fetches(labels: y, predictions: output, loss: loss, in: g) }
        return (total, metricFetches)
    }

    /// Clipping, the optimizer's new values (constrained) assigned to the parameters, the
    /// optimizer's state updates and the iteration count; and the slot variables by name.
    private func optimizerUpdates(_ trainable: [Trainable], _ rawGradients: [NodeID], learningRate: NodeID,
                                  iterations: NodeID) throws -> ([NodeID], [String: NodeID]) {
        try g.withRole(.update) {
            let clipped = try optimizer.clipping.apply(rawGradients, in: g)
            var slots: [String: NodeID] = [:]
            var step = OptimizerStep(graph: g, learningRate: learningRate, iterations: iterations, makeSlot: { parameter, slot, initial in
                let name = "optimizer/\(g[parameter].name)/\(slot)"
                let id = try g.variable(name, g[parameter].shape, initialValue: [Double](repeating: initial, count: g[parameter].shape.elementCount ?? 0), trainable: false)
                slots[name] = id
                return id
            })
            var updates: [NodeID] = []
            // The parameters without a constraint in one optimizer kernel when the optimizer has one.
            let unconstrained = trainable.indices.filter { trainable[$0].spec.constraint == nil }
            var fused = Set<Int>()
            if !unconstrained.isEmpty,
               let node = try optimizer.fusedUpdate(unconstrained.map { (trainable[$0].id, clipped[$0]) }, step: &step) {
                updates.append(node)
                fused = Set(unconstrained)
            }
            for (i, (p, gradient)) in zip(trainable, clipped).enumerated() where !fused.contains(i) {
                var value = try optimizer.newValue(of: p.id, gradient: gradient, step: &step)
                if let constraint = p.spec.constraint { value = try constraint.apply(value, in: g) }
                updates.append(try g.assign(p.id, value, name: "\(p.name)/assign"))
            }
            updates += step.stateUpdates
            updates.append(try g.assign(iterations, g.add(iterations, g.scalar(1)), name: "optimizer/iterations/assign"))
            return (updates, slots)
        }
    }
}
