import Graph

/// Activation functions by Keras name.
public enum ActivationFunction: String, Sendable, CaseIterable {
    /// Identity.
    case linear
    /// `max(x, 0)`
    case relu
    /// `1/(1 + e^−x)`
    case sigmoid
    /// `tanh x`
    case tanh
    /// Softmax over the last axis.
    case softmax
    /// `ln(1 + e^x)`
    case softplus
    /// `x` for `x > 0`, else `e^x − 1`
    case elu
    /// `x` for `x > 0`, else `0.2·x` (Keras 3's `leaky_relu` default slope)
    case leakyRelu = "leaky_relu"
    /// `e^x`
    case exponential

    /// Parses a Keras activation name (`"relu"`, `"sigmoid"`, `"linear"` …).
    public init(keras name: String) throws {
        guard let f = ActivationFunction(rawValue: name) else {
            throw ModelError.invalidConfiguration("unknown activation \"\(name)\"; known: \(ActivationFunction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = f
    }

    /// Appends the activation of `x` to `graph`.
    func apply(_ x: NodeID, in graph: Graph, name: String) throws -> NodeID {
        switch self {
        case .linear: return x
        case .relu: return try graph.relu(x, name: name)
        case .sigmoid: return try graph.sigmoid(x, name: name)
        case .tanh: return try graph.tanh(x, name: name)
        case .softmax: return try graph.softmax(x, name: name)
        case .softplus: return try graph.softplus(x, name: name)
        case .elu: return try graph.elu(x, name: name)
        case .leakyRelu: return try graph.leakyRelu(x, alpha: 0.2, name: name)
        case .exponential: return try graph.exp(x, name: name)
        }
    }
}
