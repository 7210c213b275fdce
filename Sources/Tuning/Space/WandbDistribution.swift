import Foundation
import Tracking

/// W&B's sweep-configuration distributions, with W&B's definitions (its `params.py`), traps
/// included. `u` is uniform in [0, 1):
///
/// | distribution | value |
/// |---|---|
/// | `constant` | `value` |
/// | `categorical` | `values[⌊u·n⌋]`; with `probabilities`, the first `i` whose cumulative probability exceeds `u` |
/// | `int_uniform` | an integer in `min…max`, both ends included, each equally likely |
/// | `uniform` | `min + u·(max − min)` |
/// | `q_uniform` | `round(uniform / q)·q` |
/// | `log_uniform` | `exp(min + u·(max − min))`: **min and max are natural-log exponents** |
/// | `log_uniform_values` | log-uniform between the values `min` and `max` |
/// | `q_log_uniform`, `q_log_uniform_values` | the same, rounded to multiples of `q` |
/// | `inv_log_uniform` | `exp(−(min + (1 − u)·(max − min)))`: **log(1/X) is uniform on [min, max]** |
/// | `inv_log_uniform_values` | the same as `log_uniform_values` (W&B's definition, despite the name) |
/// | `normal`, `q_normal` | `mu + sigma·Φ⁻¹(u)` (mu 0, sigma 1 by default), rounded for `q_` |
/// | `log_normal`, `q_log_normal` | `exp(mu + sigma·Φ⁻¹(u))` |
/// | `beta`, `q_beta` | the Beta(a, b) quantile (a = b = 1 by default) |
///
/// Rounding to `q` goes half to even (NumPy's `round`); `q` defaults to 1.0, a float, so values
/// stay floats unless `q` is written as an integer (`q: 1`), which makes them integers.
public struct WandbDistribution: Distribution {
    public enum Kind: String, Sendable, CaseIterable {
        case constant
        case categorical
        case intUniform = "int_uniform"
        case uniform
        case qUniform = "q_uniform"
        case logUniform = "log_uniform"
        case logUniformValues = "log_uniform_values"
        case qLogUniform = "q_log_uniform"
        case qLogUniformValues = "q_log_uniform_values"
        case invLogUniform = "inv_log_uniform"
        case invLogUniformValues = "inv_log_uniform_values"
        case normal
        case qNormal = "q_normal"
        case logNormal = "log_normal"
        case qLogNormal = "q_log_normal"
        case beta
        case qBeta = "q_beta"
    }

    /// The quantum of a `q_` distribution: an integer `q` makes integer values.
    public enum Quantum: Sendable, Equatable {
        case integer(Int)
        case real(Double)
        var value: Double {
            switch self {
            case .integer(let q): return Double(q)
            case .real(let q): return q
            }
        }
    }

    public let kind: Kind
    public var constant: ConfigValue = .int(0)
    public var values: [ConfigValue] = []
    public var probabilities: [Double]?
    public var min: Double = 0
    public var max: Double = 1
    /// Whether `min` and `max` were integers (`int_uniform`).
    public var integerBounds = false
    public var q: Quantum = .real(1)
    public var mu: Double = 0
    public var sigma: Double = 1
    public var a: Double = 1
    public var b: Double = 1

    public init(kind: Kind) { self.kind = kind }

    /// Checks the parameters W&B checks (and what makes sampling undefined), naming `name`.
    public func validate(_ name: String) throws {
        func fail(_ message: String) -> TuningError { .invalidParameter("\(name) (\(kind.rawValue)): \(message)") }
        switch kind {
        case .constant: return
        case .categorical:
            guard !values.isEmpty else { throw fail("values must list at least one value") }
            if let probabilities {
                guard probabilities.count == values.count else { throw fail("\(probabilities.count) probabilities for \(values.count) values; give one per value") }
                guard probabilities.allSatisfy({ $0 >= 0 && $0.isFinite }) else { throw fail("probabilities must be non-negative numbers") }
                let sum = probabilities.reduce(0, +)
                guard abs(sum - 1) <= 1e-8 + 1e-5 else { throw fail("probabilities sum to \(sum), not 1") }
            }
        case .intUniform, .uniform, .qUniform, .logUniform, .qLogUniform, .invLogUniform:
            guard min.isFinite, max.isFinite else { throw fail("min and max must be finite numbers") }
            guard min < max else { throw fail("min \(number(min)) must be less than max \(number(max)) (W&B refuses min ≥ max)") }
        case .logUniformValues, .qLogUniformValues, .invLogUniformValues:
            guard min.isFinite, max.isFinite else { throw fail("min and max must be finite numbers") }
            guard min > 0 else { throw fail("min must be positive (it is a value whose log is taken), not \(number(min))") }
            guard min < max else { throw fail("min \(number(min)) must be less than max \(number(max))") }
        case .normal, .qNormal, .logNormal, .qLogNormal:
            guard mu.isFinite, sigma.isFinite, sigma >= 0 else { throw fail("mu must be finite and sigma ≥ 0 (got mu \(mu), sigma \(sigma))") }
        case .beta, .qBeta:
            guard a > 0, b > 0, a.isFinite, b.isFinite else { throw fail("a and b must be positive (got a \(a), b \(b))") }
        }
        if isQuantized { guard q.value > 0, q.value.isFinite else { throw fail("q must be positive, not \(q.value)") } }
        if kind == .logUniform || kind == .qLogUniform || kind == .invLogUniform {
            guard max < 709 else { throw fail("max \(number(max)) is an exponent (the values run to e^max), and e^\(number(max)) overflows; for values between min and max use \(kind.rawValue)_values") }
        }
    }

    private var isQuantized: Bool { [.qUniform, .qLogUniform, .qLogUniformValues, .qNormal, .qLogNormal, .qBeta].contains(kind) }

    public var isCategorical: Bool { kind == .categorical }

    public func value(at u: Double) -> ConfigValue {
        switch kind {
        case .constant: return constant
        case .categorical:
            guard let probabilities else { return values[NumericRange.index(u, count: values.count)] }
            var cumulative = 0.0
            for (value, p) in zip(values, probabilities) {
                cumulative += p
                if u < cumulative { return value }
            }
            return values[values.count - 1]
        case .intUniform:
            let count = max - min + 1
            return .int(Int(min) + Swift.min(Int((u * count).rounded(.down)), Int(count) - 1))
        default:
            let x = continuous(u)
            guard isQuantized else { return .double(x) }
            let rounded = Quantiles.quantize(x, q.value)
            if case .integer = q, rounded.magnitude < 9e18 { return .int(Int(rounded)) }
            return .double(rounded)
        }
    }

    /// The value before rounding to `q`.
    private func continuous(_ u: Double) -> Double {
        switch kind {
        case .uniform, .qUniform: return min + u * (max - min)
        case .logUniform, .qLogUniform: return exp(min + u * (max - min))
        case .logUniformValues, .qLogUniformValues: return exp(log(min) + u * (log(max) - log(min)))
        case .invLogUniform: return exp(-(min + (1 - u) * (max - min)))
        case .invLogUniformValues: return exp(-(-log(max) + (1 - u) * (-log(min) + log(max))))
        case .normal, .qNormal: return mu + sigma * Quantiles.standardNormal(u)
        case .logNormal, .qLogNormal: return exp(mu + sigma * Quantiles.standardNormal(u))
        case .beta, .qBeta: return Quantiles.beta(u, a: a, b: b)
        case .constant, .categorical, .intUniform: return 0
        }
    }

    /// W&B's grid: `constant`, `categorical` (in the order given; not with probabilities),
    /// `int_uniform` (min to max, both included) and `q_uniform` (min, min + q, … below max:
    /// max excluded, as `np.arange`). Every other distribution is continuous: an error.
    public func gridValues(_ name: String) throws -> [ConfigValue] {
        switch kind {
        case .constant: return [constant]
        case .categorical where probabilities == nil: return values
        case .intUniform:
            guard max - min < 100_000 else { throw TuningError.invalidSearch("\(name) has \(Int(max - min + 1)) grid values; narrow min…max") }
            return (Int(min)...Int(max)).map { .int($0) }
        case .qUniform:
            let count = Int(((max - min) / q.value).rounded(.up))
            guard count <= 100_000 else { throw TuningError.invalidSearch("\(name) has \(count) grid values; give a larger q") }
            return (0..<count).map { i in
                let v = min + Double(i) * q.value
                if case .integer = q, v.magnitude < 9e18, v == v.rounded() { return .int(Int(v)) }
                return .double(v)
            }
        default:
            let what = kind == .categorical ? "categorical with probabilities" : kind.rawValue
            throw TuningError.invalidSearch("\(name) is \(what), which a grid cannot enumerate; use values, int_uniform or q_uniform for grid search, or method random")
        }
    }

    public var defaultValue: ConfigValue { value(at: 0.5) }

    public func quantile(of value: ConfigValue) -> Double? {
        switch kind {
        case .constant: return value.matches(constant) ? 0.5 : nil
        case .categorical, .intUniform:
            let all = kind == .categorical ? values : (try? gridValues("")) ?? []
            return all.firstIndex { $0.matches(value) }.map { NumericRange.centre($0, count: all.count) }
        default:
            guard let v = value.number else { return nil }
            // Bisection on the monotone quantile function.
            var low = 0.0, high = 1.0
            for _ in 0..<60 {
                let middle = (low + high) / 2
                if continuous(middle) < v { low = middle } else { high = middle }
            }
            return (low + high) / 2
        }
    }

    public var description: String {
        switch kind {
        case .constant: return "constant \(constant)"
        case .categorical:
            return "categorical [\(values.map(\.description).joined(separator: ", "))]" + (probabilities.map { " p \($0)" } ?? "")
        case .intUniform, .uniform, .logUniform, .logUniformValues, .invLogUniform, .invLogUniformValues:
            return "\(kind.rawValue) \(number(min))…\(number(max))"
        case .qUniform, .qLogUniform, .qLogUniformValues: return "\(kind.rawValue) \(number(min))…\(number(max)) q \(number(q.value))"
        case .normal, .logNormal: return "\(kind.rawValue) mu \(number(mu)) sigma \(number(sigma))"
        case .qNormal, .qLogNormal: return "\(kind.rawValue) mu \(number(mu)) sigma \(number(sigma)) q \(number(q.value))"
        case .beta: return "beta a \(number(a)) b \(number(b))"
        case .qBeta: return "q_beta a \(number(a)) b \(number(b)) q \(number(q.value))"
        }
    }

    private func number(_ x: Double) -> String { x == x.rounded() && x.magnitude < 1e15 ? String(Int(x)) : String(x) }
}
