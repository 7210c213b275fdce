import Runtime

/// Value domains for checked inputs.
enum Domain {
    /// Standard normal, scaled.
    static func normal(_ scale: Double = 1) -> @Sendable (inout SeededRandom) -> Double {
        { $0.normal() * scale }
    }
    /// Uniform in `[low, high)`.
    static func uniform(_ low: Double, _ high: Double) -> @Sendable (inout SeededRandom) -> Double {
        { $0.uniform(low, high) }
    }
    /// Magnitude in `[0.2, 1.5)` with a random sign: away from the kink at 0.
    static let awayFromZero: @Sendable (inout SeededRandom) -> Double = { random in
        let magnitude = random.uniform(0.2, 1.5)
        return random.uniform() < 0.5 ? -magnitude : magnitude
    }
    /// `[0.5, 2)`: in the domain of log, sqrt and fractional powers.
    static let positive = uniform(0.5, 2)
    /// `[0.1, 0.9)`: probabilities away from the clip at 1e-7.
    static let probability = uniform(0.1, 0.9)
    /// 0 or 1.
    static let binaryLabel: @Sendable (inout SeededRandom) -> Double = { $0.uniform() < 0.5 ? 0 : 1 }
    /// −1 or 1.
    static let signLabel: @Sendable (inout SeededRandom) -> Double = { $0.uniform() < 0.5 ? -1 : 1 }
    /// An integer class index in `0..<classes`.
    static func classIndex(_ classes: Int) -> @Sendable (inout SeededRandom) -> Double {
        { Double(Int($0.uniform() * Double(classes)) % classes) }
    }
    /// Normal values at least 0.1 away from the clip bounds ±0.5.
    static let awayFromClipBounds: @Sendable (inout SeededRandom) -> Double = { random in
        while true {
            let v = random.normal()
            if Swift.abs(Swift.abs(v) - 0.5) > 0.1 { return v }
        }
    }
}
