import Foundation

extension Sequential {
    /// The layer weights by variable name (`dense/kernel`, `batch_normalization/moving_mean` …),
    /// Keras' `get_weights` keyed by name; optimizer state is not included.
    public func weights() throws -> [String: [Float]] {
        try ensureBuilt()
        guard let compiled else { return pendingWeights }
        return try weights(from: compiled)
    }

    func weights(from compiled: CompiledModel) throws -> [String: [Float]] {
        var result: [String: [Float]] = [:]
        for name in compiled.parameterNames { result[name] = try compiled.value(of: name) }
        return result
    }

    /// Sets layer weights by variable name; every name must exist with the right number of values.
    public func setWeights(_ weights: [String: [Float]]) throws {
        try ensureBuilt()
        let shapes = Dictionary(uniqueKeysWithValues: parameterList.map { ($0.variable, $0.spec.shape) })
        for (name, values) in weights {
            guard let shape = shapes[name] else {
                throw ModelError.weights("model \"\(self.name)\" has no weight \"\(name)\"; its weights are \(shapes.keys.sorted().joined(separator: ", "))")
            }
            guard values.count == shape.reduce(1, *) else {
                throw ModelError.weights("weight \"\(name)\" has shape \(shape) (\(shape.reduce(1, *)) values), got \(values.count) values")
            }
        }
        for (name, values) in weights {
            if let compiled { try compiled.setValue(values, of: name) } else { pendingWeights[name] = values }
        }
    }

    /// Writes the layer weights to a safetensors file with names such as `dense_1/kernel`.
    public func saveWeights(to path: String) throws {
        let shapes = Dictionary(uniqueKeysWithValues: try { try ensureBuilt(); return parameterList.map { ($0.variable, $0.spec.shape) } }())
        let tensors = try weights().mapValues { $0 }.reduce(into: [String: SafeTensors.Entry]()) { result, pair in
            result[pair.key] = SafeTensors.Entry(shape: shapes[pair.key]!, values: pair.value)
        }
        let data = try SafeTensors.encode(tensors, metadata: ["format": "temper", "model": name])
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ModelError.weights("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Reads weights written by `saveWeights` (or any safetensors file with the same names and
    /// shapes). Every weight of the model must be present with its shape; extra tensors are errors.
    public func loadWeights(from path: String) throws {
        try ensureBuilt()
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.weights("cannot read \(path)") }
        let (tensors, _) = try SafeTensors.decode(data, source: path)
        let expected = Dictionary(uniqueKeysWithValues: parameterList.map { ($0.variable, $0.spec.shape) })
        let missing = expected.keys.filter { tensors[$0] == nil }.sorted()
        let extra = tensors.keys.filter { expected[$0] == nil }.sorted()
        guard missing.isEmpty, extra.isEmpty else {
            throw ModelError.weights("\(path) does not match model \"\(name)\": missing \(missing.isEmpty ? "nothing" : missing.joined(separator: ", ")); unexpected \(extra.isEmpty ? "nothing" : extra.joined(separator: ", "))")
        }
        for (name, shape) in expected.sorted(by: { $0.key < $1.key }) where tensors[name]!.shape != shape {
            throw ModelError.weights("\(path): weight \"\(name)\" has shape \(tensors[name]!.shape), the model needs \(shape)")
        }
        try setWeights(tensors.mapValues(\.values))
    }
}
