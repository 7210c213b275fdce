import Foundation

/// Counter-based random numbers: a value is a pure function of (seed, step, element index), so a
/// seeded run is reproducible bit for bit, kernels need no state, and a backward pass that applies
/// the same op sees the same numbers. The mixer is SplitMix64's finalizer.
enum CounterRandom {
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A per-(seed, step) key; combine with an index through `uniform(key:index:)`.
    @inline(__always)
    static func key(seed: UInt64, step: UInt64) -> UInt64 { mix(mix(seed) ^ step) }

    /// A uniform number in [0, 1) with 53 random bits.
    @inline(__always)
    static func uniform(key: UInt64, index: Int) -> Double {
        Double(mix(key ^ UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03) >> 11) * 0x1p-53
    }

    /// A standard normal number (Box–Muller on two uniforms drawn for this index).
    @inline(__always)
    static func normal(key: UInt64, index: Int) -> Double {
        let u1 = uniform(key: key, index: 2 &* index)
        let u2 = uniform(key: key, index: 2 &* index &+ 1)
        let radius = (-2 * Foundation.log(1 - u1)).squareRoot()
        return radius * Foundation.cos(2 * Double.pi * u2)
    }
}

