import Autodiff
import Graph
import Runtime

/// A compiled model: ONE graph holding the training step (forward in training mode, loss with
/// regularization, gradients, clipping, optimizer and batch-norm updates, constraints) and the
/// inference forward (moving statistics, no dropout or noise) with its loss and metrics, over
/// the same variables; one session; an executable for each use.
final class CompiledModel {
    let graph: Graph
    let session: Session
    let loss: Loss
    let metrics: [Metric]
    let optimizer: Optimizer
    let x: NodeID
    let y: NodeID
    let learningRate: NodeID
    let iterations: NodeID
    private let trainFetches: [NodeID]
    private let trainTargets: [NodeID]
    private let evaluationFetches: [NodeID]
    private let predictionFetch: NodeID
    private var executables: [String: Executable] = [:]

    /// Executables by use, compiled (passes run) once.
    private func executable(_ key: String, fetch: [NodeID], targets: [NodeID] = []) throws -> Executable {
        if let cached = executables[key] { return cached }
        let made = try session.makeExecutable(fetch: fetch, targets: targets)
        executables[key] = made
        return made
    }

    /// Fetches `[loss] + metrics`, runs every update.
    func trainStep() throws -> Executable { try executable("train", fetch: trainFetches, targets: trainTargets) }

    /// The training step that also fetches every trainable variable's gradient (after
    /// `[loss] + metrics`), with the variable names in fetch order.
    func trainStepWithGradients() throws -> (executable: Executable, names: [String]) {
        let names = parameterNames.filter { gradients[$0] != nil }
        return (try executable("train+gradients", fetch: trainFetches + names.map { gradients[$0]! }, targets: trainTargets), names)
    }

    /// Fetches `[loss] + metrics` in inference mode.
    func evaluation() throws -> Executable { try executable("evaluation", fetch: evaluationFetches) }

    /// Fetches the inference-mode outputs.
    func prediction() throws -> Executable { try executable("prediction", fetch: [predictionFetch]) }
    /// The gradient of the loss for every trainable variable, by variable name.
    let gradients: [String: NodeID]
    /// Variables by name (layer parameters, then optimizer state).
    let variables: [String: NodeID]
    /// Layer parameter names in order.
    let parameterNames: [String]
    private var gradientProbe: Executable?
    /// Views of every layer parameter, in `parameterNames` order (made on first use).
    private var parameterViewCache: [(name: String, view: VariableView)]?

    /// Every layer parameter in layer order, as views looked up once.
    func parameterViews() throws -> [(name: String, view: VariableView)] {
        if let parameterViewCache { return parameterViewCache }
        let views = try parameterNames.map { name in
            guard let id = variables[name] else { throw ModelError.weights("the model has no variable \"\(name)\"") }
            return (name, try session.view(of: id))
        }
        parameterViewCache = views
        return views
    }
    /// Metric keys, in fetch order after the loss.
    var metricKeys: [String] { metrics.map(\.key) }
    /// Each metric with what it fetches (the training step's nodes; evaluation's are laid out alike).
    private let metricLayout: [(Metric, MetricFetches)]

    /// Empty totals of `[loss] + metrics`, for the fetches of `trainStep` or `evaluation`.
    func metricTotals() -> MetricTotals { MetricTotals(metrics: metricLayout) }

    init(model: Sequential, optimizer: Optimizer, loss: Loss, metrics: [Metric]) throws {
        try optimizer.learningRate.validate()
        try optimizer.clipping.validate()
        guard let inputShape = model.inputShape, let outputShape = model.outputShape else {
            throw ModelError.notReady("model \"\(model.name)\" is not built")
        }
        self.loss = loss
        self.metrics = metrics
        self.optimizer = optimizer
        let g = Graph(dtype: .float32)
        graph = g
        let x = try g.placeholder("x", Shape([Shape.batch] + inputShape))
        let y: NodeID
        if loss.hasSparseLabels {
            guard outputShape.count == 1 else {
                throw ModelError.shapeMismatch("\(loss.kerasName) needs outputs of shape (batch, classes); the model outputs (batch, \(outputShape.map(String.init).joined(separator: ", ")))")
            }
            y = try g.placeholder("y", [Shape.batch])
        } else {
            y = try g.placeholder("y", Shape([Shape.batch] + outputShape))
        }
        self.x = x
        self.y = y

        // Variables, initialised with the model's current weights.
        var variables: [String: NodeID] = [:]
        var trainable: [(name: String, id: NodeID, spec: ParameterSpec)] = []
        var regularized: [(NodeID, Regularizer)] = []
        for (_, name, spec) in model.parameterList {
            let values = model.pendingWeights[name]!.map(Double.init)
            let id = try g.variable(name, Shape(spec.shape), initialValue: values, trainable: spec.trainable)
            variables[name] = id
            if spec.trainable { trainable.append((name, id, spec)) }
            if let r = spec.regularizer { regularized.append((id, r)) }
        }
        parameterNames = model.parameterList.map(\.variable)

        // Forward passes.
        func forward(training: Bool) throws -> (output: NodeID, context: LayerContext) {
            let context = LayerContext(graph: g, training: training, variables: variables)
            var h = x
            for layer in model.layers {
                h = try g.withNameScope(training ? layer.name : "inference/\(layer.name)") { try layer.forward(h, context) }
            }
            return (h, context)
        }
        func objective(_ output: NodeID, _ context: LayerContext, prefix: String) throws -> (NodeID, [MetricFetches]) {
            var total = try g.loss(loss.kind, labels: y, predictions: output, name: "\(prefix)loss")
            let penalties = try regularized.map { try $1.penalty($0, in: g) } + context.losses
            for penalty in penalties { total = try g.add(total, penalty) }
            let metricFetches = try metrics.map { try $0.fetches(labels: y, predictions: output, loss: loss, in: g) }
            return (total, metricFetches)
        }
        let (trainOutput, trainContext) = try forward(training: true)
        let (trainLoss, trainMetrics) = try objective(trainOutput, trainContext, prefix: "")

        // Gradients, clipping, optimizer, constraints.
        let rawGradients = try g.gradients(of: trainLoss, wrt: trainable.map(\.id))
        var gradients: [String: NodeID] = [:]
        for (p, gradient) in zip(trainable, rawGradients) { gradients[p.name] = gradient }
        self.gradients = gradients
        var updates: [NodeID] = trainContext.updates
        let learningRate = try g.variable("optimizer/learning_rate", .scalar, initialValue: [optimizer.learningRate.value(atStep: 0)], trainable: false)
        let iterations = try g.variable("optimizer/iterations", .scalar, initialValue: [0], trainable: false)
        self.learningRate = learningRate
        self.iterations = iterations
        variables["optimizer/learning_rate"] = learningRate
        variables["optimizer/iterations"] = iterations
        try g.withRole(.update) {
            let clipped = try optimizer.clipping.apply(rawGradients, in: g)
            var slots: [String: NodeID] = [:]
            var step = OptimizerStep(graph: g, learningRate: learningRate, iterations: iterations, makeSlot: { parameter, slot, initial in
                let name = "optimizer/\(g[parameter].name)/\(slot)"
                let id = try g.variable(name, g[parameter].shape, initialValue: [Double](repeating: initial, count: g[parameter].shape.elementCount ?? 0), trainable: false)
                slots[name] = id
                return id
            })
            for (p, gradient) in zip(trainable, clipped) {
                var value = try optimizer.newValue(of: p.id, gradient: gradient, step: &step)
                if let constraint = p.spec.constraint { value = try constraint.apply(value, in: g) }
                updates.append(try g.assign(p.id, value, name: "\(p.name)/assign"))
            }
            updates += step.stateUpdates
            updates.append(try g.assign(iterations, g.add(iterations, g.scalar(1)), name: "optimizer/iterations/assign"))
            for (name, id) in slots { variables[name] = id }
        }
        self.variables = variables

        // Inference.
        let (inferenceOutput, inferenceContext) = try forward(training: false)
        let (inferenceLoss, inferenceMetrics) = try objective(inferenceOutput, inferenceContext, prefix: "inference/")

        let session = try Session(graph: g)
        self.session = session
        trainFetches = [trainLoss] + trainMetrics.flatMap(\.nodes)
        trainTargets = updates
        evaluationFetches = [inferenceLoss] + inferenceMetrics.flatMap(\.nodes)
        metricLayout = Array(zip(metrics, trainMetrics))
        predictionFetch = inferenceOutput
        // What every fit runs is compiled now; prediction and the gradient-fetching step when first used.
        _ = try trainStep()
        _ = try evaluation()
    }

    /// Gradients of the training loss for `x`, `y` (training mode, no update), by variable name.
    func gradientValues(x: Matrix, y: Matrix, variablesNamed names: [String]) throws -> [String: [Float]] {
        let ids = names.compactMap { gradients[$0] }
        if gradientProbe == nil || gradientProbe!.fetches != ids {
            gradientProbe = try session.makeExecutable(fetch: ids)
        }
        let probe = gradientProbe!
        try probe.feed(self.x, x.values)
        try probe.feed(self.y, y.values)
        let savedStep = session.step
        try probe.run()
        session.step = savedStep  // probing must not shift dropout masks of the next training step
        var result: [String: [Float]] = [:]
        for (i, name) in names.enumerated() where gradients[name] != nil {
            result[name] = try probe.withOutput(i) { (buffer: UnsafeBufferPointer<Float>, _) in Array(buffer) }
        }
        return result
    }

    /// The current value of a variable.
    func value(of name: String) throws -> [Float] {
        guard let id = variables[name] else { throw ModelError.weights("the model has no variable \"\(name)\"") }
        return try session.floatValues(of: id)
    }

    /// Overwrites a variable.
    func setValue(_ values: [Float], of name: String) throws {
        guard let id = variables[name] else { throw ModelError.weights("the model has no variable \"\(name)\"") }
        try session.setValue(try Tensor(shape: graph[id].shape.dims, values.map(Double.init)), of: id)
    }
}
