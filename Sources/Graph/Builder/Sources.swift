extension Graph {
    /// An input fed at run time. Use `Shape.batch` (`?`) as the leading extent for a batch size
    /// chosen when the graph is run.
    public func placeholder(_ name: String, _ shape: Shape) throws -> NodeID {
        try addNode(.placeholder(shape), inputs: [], name: name)
    }

    /// A variable kept in the session across runs, initialised to `initialValue` (row-major) or
    /// zeros. `trainable` variables are the ones optimizers update (`Graph.trainableVariables`).
    public func variable(_ name: String, _ shape: Shape, initialValue: [Double]? = nil, trainable: Bool = true) throws -> NodeID {
        if let initialValue, initialValue.count != shape.elementCount {
            throw GraphError.invalidArgument("variable \"\(name)\" of shape \(shape) needs \(shape.elementCount ?? 0) initial values, got \(initialValue.count)")
        }
        let id = try addNode(.variable(shape, trainable: trainable), inputs: [], name: name)
        if let initialValue { initialValues[id] = initialValue }
        return id
    }

    /// A constant tensor of the given shape (row-major values).
    public func constant(_ values: [Double], shape: Shape, name: String? = nil) throws -> NodeID {
        try addNode(.constant(ConstantValue(shape: shape, values: values)), inputs: [], name: name)
    }

    /// A scalar constant (shape `[]`), which broadcasts against anything.
    public func scalar(_ value: Double, name: String? = nil) throws -> NodeID {
        try constant([value], shape: .scalar, name: name)
    }
}
