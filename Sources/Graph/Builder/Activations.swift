extension Graph {
    /// `max(x, 0)` (derivative 0 at 0)
    public func relu(_ x: NodeID, name: String? = nil) throws -> NodeID { try unary(.relu, x, name: name) }
    /// `x` for `x > 0`, else `alpha·x` (Keras' default alpha is 0.3; PyTorch's 0.01)
    public func leakyRelu(_ x: NodeID, alpha: Double = 0.3, name: String? = nil) throws -> NodeID {
        try unary(.leakyRelu(alpha: alpha), x, name: name)
    }
    /// `x` for `x > 0`, else `alpha·(e^x − 1)`
    public func elu(_ x: NodeID, alpha: Double = 1, name: String? = nil) throws -> NodeID {
        try unary(.elu(alpha: alpha), x, name: name)
    }
    /// `1/(1 + e^−x)`
    public func sigmoid(_ x: NodeID, name: String? = nil) throws -> NodeID { try unary(.sigmoid, x, name: name) }
    /// `tanh x`
    public func tanh(_ x: NodeID, name: String? = nil) throws -> NodeID { try unary(.tanh, x, name: name) }
    /// `ln(1 + e^x)`
    public func softplus(_ x: NodeID, name: String? = nil) throws -> NodeID { try unary(.softplus, x, name: name) }
    /// Softmax along `axis` (default: the last).
    public func softmax(_ x: NodeID, axis: Int = -1, name: String? = nil) throws -> NodeID {
        try addNode(.softmax(axis: axis), inputs: [x], name: name)
    }
    /// Log-softmax along `axis` (default: the last).
    public func logSoftmax(_ x: NodeID, axis: Int = -1, name: String? = nil) throws -> NodeID {
        try addNode(.logSoftmax(axis: axis), inputs: [x], name: name)
    }
}
