extension Graph {
    /// Applies an elementwise function of one input.
    public func unary(_ op: UnaryOp, _ x: NodeID, name: String? = nil) throws -> NodeID {
        try addNode(.unary(op), inputs: [x], name: name)
    }

    /// Applies an elementwise function of two inputs with NumPy broadcasting.
    public func binary(_ op: BinaryOp, _ a: NodeID, _ b: NodeID, name: String? = nil) throws -> NodeID {
        try addNode(.binary(op), inputs: [a, b], name: name)
    }

    /// `a + b` (broadcasting)
    public func add(_ a: NodeID, _ b: NodeID, name: String? = nil) throws -> NodeID { try binary(.add, a, b, name: name) }
    /// `a − b` (broadcasting)
    public func sub(_ a: NodeID, _ b: NodeID, name: String? = nil) throws -> NodeID { try binary(.sub, a, b, name: name) }
    /// `a · b` (broadcasting)
    public func mul(_ a: NodeID, _ b: NodeID, name: String? = nil) throws -> NodeID { try binary(.mul, a, b, name: name) }
    /// `a / b` (broadcasting)
    public func div(_ a: NodeID, _ b: NodeID, name: String? = nil) throws -> NodeID { try binary(.div, a, b, name: name) }
    /// `max(a, b)` elementwise (broadcasting)
    public func maximum(_ a: NodeID, _ b: NodeID, name: String? = nil) throws -> NodeID { try binary(.maximum, a, b, name: name) }
    /// `min(a, b)` elementwise (broadcasting)
    public func minimum(_ a: NodeID, _ b: NodeID, name: String? = nil) throws -> NodeID { try binary(.minimum, a, b, name: name) }
    /// `a ⋈ b` as 1 or 0 (broadcasting); derivative 0
    public func compare(_ c: Comparison, _ a: NodeID, _ b: NodeID, name: String? = nil) throws -> NodeID {
        try binary(.compare(c), a, b, name: name)
    }

    /// `-x`
    public func neg(_ x: NodeID, name: String? = nil) throws -> NodeID { try unary(.neg, x, name: name) }
    /// `e^x`
    public func exp(_ x: NodeID, name: String? = nil) throws -> NodeID { try unary(.exp, x, name: name) }
    /// `ln x`
    public func log(_ x: NodeID, name: String? = nil) throws -> NodeID { try unary(.log, x, name: name) }
    /// `√x`
    public func sqrt(_ x: NodeID, name: String? = nil) throws -> NodeID { try unary(.sqrt, x, name: name) }
    /// `1/√x`
    public func rsqrt(_ x: NodeID, name: String? = nil) throws -> NodeID { try unary(.rsqrt, x, name: name) }
    /// `x²`
    public func square(_ x: NodeID, name: String? = nil) throws -> NodeID { try unary(.square, x, name: name) }
    /// `x^p` for a constant `p`
    public func pow(_ x: NodeID, _ p: Double, name: String? = nil) throws -> NodeID { try unary(.pow(p), x, name: name) }
    /// `|x|`
    public func abs(_ x: NodeID, name: String? = nil) throws -> NodeID { try unary(.abs, x, name: name) }
    /// `sign x`
    public func sign(_ x: NodeID, name: String? = nil) throws -> NodeID { try unary(.sign, x, name: name) }
    /// `min(max(x, lower), upper)`
    public func clip(_ x: NodeID, lower: Double, upper: Double, name: String? = nil) throws -> NodeID {
        return try unary(.clip(lower: lower, upper: upper), x, name: name)
    }
    /// Identity in value; no gradient flows through it.
    public func stopGradient(_ x: NodeID, name: String? = nil) throws -> NodeID {
        try addNode(.stopGradient, inputs: [x], name: name)
    }
}
