extension Graph {
    /// Inverted dropout with drop probability `rate` in training (kept elements are scaled by
    /// `1/(1 − rate)`), identity when `training` is false. The mask is a pure function of `seed`,
    /// the session's step counter and the element index.
    public func dropout(_ x: NodeID, rate: Double, seed: UInt64, training: Bool = true, name: String? = nil) throws -> NodeID {
        return try unary(.dropout(rate: rate, seed: seed, training: training), x, name: name)
    }

    /// Adds `N(0, stddev²)` noise in training; identity when `training` is false. Seeded like dropout.
    public func gaussianNoise(_ x: NodeID, stddev: Double, seed: UInt64, training: Bool = true, name: String? = nil) throws -> NodeID {
        return try unary(.gaussianNoise(stddev: stddev, seed: seed, training: training), x, name: name)
    }
}
