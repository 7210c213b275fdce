import Foundation
import Runtime

/// Weight initializers with Keras' names and formulas. Every one is seeded: an explicit `seed`,
/// or one the model derives from its own seed and the parameter's name, so a model built twice
/// with the same seed has the same weights. `fanIn`/`fanOut` of a Dense kernel `[in, out]` are
/// `in` and `out`.
public enum Initializer: Sendable, Equatable {
    /// All zeros (Keras' default for biases and beta).
    case zeros
    /// All ones (gamma, moving variance).
    case ones
    /// A constant.
    case constant(Double)
    /// `U(−l, l)` with `l = √(6/fan_in)`.
    case heUniform(seed: UInt64? = nil)
    /// Truncated normal (±2σ) with `σ = √(2/fan_in)/0.87962566103423978`.
    case heNormal(seed: UInt64? = nil)
    /// `U(−l, l)` with `l = √(6/(fan_in + fan_out))` (Keras' default for kernels).
    case glorotUniform(seed: UInt64? = nil)
    /// Truncated normal (±2σ) with `σ = √(2/(fan_in + fan_out))/0.87962566103423978`.
    case glorotNormal(seed: UInt64? = nil)
    /// `N(mean, stddev²)` (Keras defaults 0 and 0.05).
    case randomNormal(mean: Double = 0, stddev: Double = 0.05, seed: UInt64? = nil)
    /// `U(min, max)` (Keras defaults −0.05 and 0.05).
    case randomUniform(min: Double = -0.05, max: Double = 0.05, seed: UInt64? = nil)

    /// Parses a Keras initializer name (`he_uniform`, `glorot_normal`, `zeros` …).
    public init(keras name: String) throws {
        switch name {
        case "zeros": self = .zeros
        case "ones": self = .ones
        case "he_uniform": self = .heUniform()
        case "he_normal": self = .heNormal()
        case "glorot_uniform": self = .glorotUniform()
        case "glorot_normal": self = .glorotNormal()
        case "random_normal": self = .randomNormal()
        case "random_uniform": self = .randomUniform()
        default:
            throw ModelError.invalidConfiguration("unknown initializer \"\(name)\"; known: zeros, ones, he_uniform, he_normal, glorot_uniform, glorot_normal, random_normal, random_uniform")
        }
    }

    /// `0.87962566103423978`: the standard deviation of a standard normal truncated to ±2.
    static let truncatedNormalCorrection = 0.87962566103423978

    /// Values for a tensor of `count` elements.
    func values(count: Int, fanIn: Int, fanOut: Int, derivedSeed: UInt64) -> [Double] {
        func generator(_ seed: UInt64?) -> SeededRandom { SeededRandom(seed: seed ?? derivedSeed) }
        switch self {
        case .zeros: return [Double](repeating: 0, count: count)
        case .ones: return [Double](repeating: 1, count: count)
        case .constant(let c): return [Double](repeating: c, count: count)
        case .heUniform(let seed):
            var random = generator(seed)
            let limit = (6 / Double(Swift.max(fanIn, 1))).squareRoot()
            return (0..<count).map { _ in random.uniform(-limit, limit) }
        case .glorotUniform(let seed):
            var random = generator(seed)
            let limit = (6 / Double(Swift.max(fanIn + fanOut, 1))).squareRoot()
            return (0..<count).map { _ in random.uniform(-limit, limit) }
        case .heNormal(let seed):
            var random = generator(seed)
            return truncatedNormal(&random, count: count, stddev: (2 / Double(Swift.max(fanIn, 1))).squareRoot() / Self.truncatedNormalCorrection)
        case .glorotNormal(let seed):
            var random = generator(seed)
            return truncatedNormal(&random, count: count, stddev: (2 / Double(Swift.max(fanIn + fanOut, 1))).squareRoot() / Self.truncatedNormalCorrection)
        case .randomNormal(let mean, let stddev, let seed):
            var random = generator(seed)
            return (0..<count).map { _ in random.normal(mean: mean, standardDeviation: stddev) }
        case .randomUniform(let low, let high, let seed):
            var random = generator(seed)
            return (0..<count).map { _ in random.uniform(low, high) }
        }
    }

    private func truncatedNormal(_ random: inout SeededRandom, count: Int, stddev: Double) -> [Double] {
        (0..<count).map { _ in
            while true {
                let z = random.normal()
                if Swift.abs(z) <= 2 { return z * stddev }
            }
        }
    }

    /// Keras' name, for summaries and logs.
    public var kerasName: String {
        switch self {
        case .zeros: return "zeros"
        case .ones: return "ones"
        case .constant: return "constant"
        case .heUniform: return "he_uniform"
        case .heNormal: return "he_normal"
        case .glorotUniform: return "glorot_uniform"
        case .glorotNormal: return "glorot_normal"
        case .randomNormal: return "random_normal"
        case .randomUniform: return "random_uniform"
        }
    }
}

/// A stable 64-bit hash of a string (FNV-1a), for deriving seeds from names.
func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash
}
