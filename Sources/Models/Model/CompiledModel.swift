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
    /// The training loss (with penalties and layer losses): the first training fetch.
    let trainLoss: NodeID
    /// Every layer's output by layer name, per forward mode.
    let layerOutputs: [ForwardMode: [String: NodeID]]
    /// Executables that only fetch (probes: layer outputs, loss and gradients), by what they fetch.
    var probes: [[NodeID]: Executable] = [:]
    /// What an executable of the model is for.
    private enum Use: Hashable {
        case train, trainWithGradients, evaluation, prediction
    }
    private var executables: [Use: Executable] = [:]

    /// Executables by use, compiled (passes run) once.
    private func executable(_ use: Use, fetch: [NodeID], targets: [NodeID] = []) throws -> Executable {
        if let cached = executables[use] { return cached }
        let made = try session.makeExecutable(fetch: fetch, targets: targets)
        executables[use] = made
        return made
    }

    /// Fetches `[loss] + metrics`, runs every update.
    func trainStep() throws -> Executable { try executable(.train, fetch: trainFetches, targets: trainTargets) }

    /// The training step that also fetches every trainable variable's gradient (after
    /// `[loss] + metrics`), with the variable names in fetch order.
    func trainStepWithGradients() throws -> (executable: Executable, names: [String]) {
        let names = parameterNames.filter { gradients[$0] != nil }
        return (try executable(.trainWithGradients, fetch: trainFetches + names.compactMap { gradients[$0] }, targets: trainTargets), names)
    }

    /// Fetches `[loss] + metrics` in inference mode.
    func evaluation() throws -> Executable { try executable(.evaluation, fetch: evaluationFetches) }

    /// What `fit` runs, compiled in `session` (this model's own, or one running several trials of
    /// its graph): the training step, the one that also fetches gradients (with their variable
    /// names) when asked, and the evaluation.
    func fitExecutables(in session: Session, withGradients: Bool) throws
        -> (train: Executable, withGradients: (executable: Executable, names: [String])?, evaluation: Executable) {
        if session === self.session {
            return (try trainStep(), withGradients ? try trainStepWithGradients() : nil, try evaluation())
        }
        let names = parameterNames.filter { gradients[$0] != nil }
        let gradientStep = withGradients
            ? (try session.makeExecutable(fetch: trainFetches + names.compactMap { gradients[$0] }, targets: trainTargets), names) : nil
        return (try session.makeExecutable(fetch: trainFetches, targets: trainTargets), gradientStep,
                try session.makeExecutable(fetch: evaluationFetches))
    }

    /// Fetches the inference-mode outputs.
    func prediction() throws -> Executable { try executable(.prediction, fetch: [predictionFetch]) }
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
        let built = try ModelGraphBuilder(model: model, optimizer: optimizer, loss: loss, metrics: metrics).build()
        self.loss = loss
        self.metrics = metrics
        self.optimizer = optimizer
        graph = built.graph
        x = built.x
        y = built.y
        learningRate = built.learningRate
        iterations = built.iterations
        variables = built.variables
        gradients = built.gradients
        parameterNames = model.parameterList.map(\.variable)
        trainFetches = built.trainFetches
        trainTargets = built.trainTargets
        evaluationFetches = built.evaluationFetches
        metricLayout = Array(zip(metrics, built.trainMetrics))
        predictionFetch = built.prediction
        trainLoss = built.trainLoss
        layerOutputs = built.layerOutputs
        session = try Session(graph: built.graph)
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
