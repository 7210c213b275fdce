import Graph
import Runtime

/// Which forward pass of a model to run. `training` is the training step's forward: batch
/// statistics, dropout and noise on (the masks of the next training step). `inference` is
/// `predict`'s: moving statistics, no dropout or noise.
public enum ForwardMode: String, Sendable, Hashable, CaseIterable {
    case training
    case inference
}

extension Sequential {
    /// The outputs of the named layers for `x` (one row per sample, the layer's output shape
    /// flattened), by layer name. Nothing of the model changes: no weight, moving statistic,
    /// optimizer state or step counter. In `training` mode all rows of `x` are one batch (batch
    /// normalization uses their statistics). Works inside a callback, between training steps.
    ///
    /// For the input of an activation, build the layer and its activation apart
    /// (`Dense(100)`, `BatchNormalization()`, `Activation(.sigmoid)`) and ask for the layer before it.
    public func layerOutputs(x: Matrix, layers names: [String], mode: ForwardMode = .inference) throws -> [String: Matrix] {
        let compiled = try requireCompiled(columns: x.columns)
        try checkInputs(x, role: "layer-output")
        let columns = try names.map { name -> Int in
            guard let index = layers.firstIndex(where: { $0.name == name }), built.indices.contains(index) else {
                throw ModelError.invalidConfiguration("model \"\(self.name)\" has no layer \"\(name)\"; its layers: \(layers.map(\.name).joined(separator: ", "))")
            }
            return built[index].output.reduce(1, *)
        }
        let fetches = try names.map { name -> NodeID in
            guard let node = compiled.layerOutputs[mode]?[name] else { throw ModelError.notReady("layer \"\(name)\" has no \(mode.rawValue) output in the compiled model") }
            return node
        }
        let probe = try engine { try compiled.probe(fetches) }
        try probe.feed(compiled.x, x.values)
        try engine { try compiled.runProbe(probe) }
        var result: [String: Matrix] = [:]
        for (i, name) in names.enumerated() {
            let values = try probe.withOutput(i) { (buffer: UnsafeBufferPointer<Float>, _) in Array(buffer) }
            result[name] = try Matrix(rows: x.rows, columns: columns[i], values: values)
        }
        return result
    }

    /// The training loss on `x`, `y` — the training step's forward (batch statistics, dropout and
    /// noise as the next step would draw them) with every weight penalty and layer loss — and its
    /// gradients for the trainable variables (all, or the named ones), evaluated at the model's
    /// weights with `weights` put in place of some of them (by variable name, `dense/kernel` …).
    /// The model is left exactly as it was: weights, moving statistics, optimizer state, step counter.
    ///
    /// This is what a loss-landscape probe needs: `L(w − η·∇L(w))` and its gradient for several η.
    public func lossAndGradients(x: Matrix, y: Matrix, weights: [String: [Float]] = [:], variables: [String]? = nil) throws -> (loss: Double, gradients: [String: [Float]]) {
        let compiled = try requireCompiled(columns: x.columns)
        try checkData(x: x, y: y, compiled: compiled, role: "loss-and-gradient")
        let names = variables ?? compiled.parameterNames.filter { compiled.gradients[$0] != nil }
        let gradientNodes = try names.map { name -> NodeID in
            guard let node = compiled.gradients[name] else {
                throw ModelError.invalidConfiguration("\"\(name)\" is not a trainable variable of model \"\(self.name)\"; trainable: \(compiled.gradients.keys.sorted().joined(separator: ", "))")
            }
            return node
        }
        try checkSubstitutes(weights, compiled: compiled)
        let probe = try engine { try compiled.probe([compiled.trainLoss] + gradientNodes) }
        try probe.feed(compiled.x, x.values)
        try probe.feed(compiled.y, y.values)
        try compiled.withSubstitutedWeights(weights) { try engine { try compiled.runProbe(probe) } }
        let loss = try probe.scalar(0)
        var gradients: [String: [Float]] = [:]
        for (i, name) in names.enumerated() {
            gradients[name] = try probe.withOutput(i + 1) { (buffer: UnsafeBufferPointer<Float>, _) in Array(buffer) }
        }
        return (loss, gradients)
    }

    /// Substitute weights name layer parameters and have their sizes.
    private func checkSubstitutes(_ weights: [String: [Float]], compiled: CompiledModel) throws {
        let sizes = Dictionary(parameterList.map { ($0.variable, $0.spec.count) }, uniquingKeysWith: { first, _ in first })
        for (name, values) in weights.sorted(by: { $0.key < $1.key }) {
            guard let size = sizes[name] else {
                throw ModelError.weights("model \"\(self.name)\" has no parameter \"\(name)\"; its parameters: \(compiled.parameterNames.joined(separator: ", "))")
            }
            guard values.count == size else {
                throw ModelError.weights("\"\(name)\" of model \"\(self.name)\" holds \(size) values, the substitute has \(values.count)")
            }
        }
    }
}

extension CompiledModel {
    /// An executable that fetches `fetches` and runs no update, compiled once per fetch list.
    func probe(_ fetches: [NodeID]) throws -> Executable {
        if let cached = probes[fetches] { return cached }
        if probes.count >= 16 { probes.removeAll() }  // a caller asking for ever new lists does not grow this without end
        let made = try session.makeExecutable(fetch: fetches)
        probes[fetches] = made
        return made
    }

    /// Runs a probe without moving the step counter (which seeds the next step's dropout masks).
    func runProbe(_ probe: Executable) throws {
        let savedStep = session.step
        defer { session.step = savedStep }
        try probe.run()
    }

    /// Runs `body` with some variables holding other values, and puts the old ones back after
    /// (also when `body` throws).
    func withSubstitutedWeights(_ weights: [String: [Float]], _ body: () throws -> Void) throws {
        var saved: [(String, [Float])] = []
        defer { for (name, values) in saved { try? setValue(values, of: name) } }
        for (name, values) in weights.sorted(by: { $0.key < $1.key }) {
            saved.append((name, try value(of: name)))
            try setValue(values, of: name)
        }
        try body()
    }
}
