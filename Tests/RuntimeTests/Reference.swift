import Foundation
import Graph
import Runtime

/// Independent scalar reference implementations (Float64, plain loops) that the kernels are
/// compared with.
enum Reference {
    static func unary(_ op: UnaryOp, _ x: Double) -> Double {
        switch op {
        case .neg: return -x
        case .exp: return Foundation.exp(x)
        case .log: return Foundation.log(x)
        case .sqrt: return x.squareRoot()
        case .rsqrt: return 1 / x.squareRoot()
        case .square: return x * x
        case .abs: return Swift.abs(x)
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .pow(let p): return Foundation.pow(x, p)
        case .clip(let lo, let hi): return Swift.min(Swift.max(x, lo), hi)
        case .relu: return Swift.max(x, 0)
        case .leakyRelu(let a): return x > 0 ? x : a * x
        case .elu(let a): return x > 0 ? x : a * (Foundation.exp(x) - 1)
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .tanh: return Foundation.tanh(x)
        case .softplus: return Foundation.log(1 + Foundation.exp(x))
        case .dropout, .gaussianNoise: return .nan
        }
    }

    static func binary(_ op: BinaryOp, _ a: Double, _ b: Double) -> Double {
        switch op {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .maximum: return Swift.max(a, b)
        case .minimum: return Swift.min(a, b)
        case .compare(let c):
            switch c {
            case .greater: return a > b ? 1 : 0
            case .greaterEqual: return a >= b ? 1 : 0
            case .less: return a < b ? 1 : 0
            case .lessEqual: return a <= b ? 1 : 0
            case .equal: return a == b ? 1 : 0
            case .notEqual: return a != b ? 1 : 0
            }
        case .sigmoidGradient: return b * a * (1 - a)
        }
    }

    /// The row-major coordinates of flat index `i` in `shape`.
    static func coordinates(_ i: Int, _ shape: [Int]) -> [Int] {
        var rest = i
        var result = [Int](repeating: 0, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            result[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return result
    }

    static func flatIndex(_ coordinates: [Int], _ shape: [Int]) -> Int {
        zip(coordinates, shape).reduce(0) { $0 * $1.1 + $1.0 }
    }

    /// The element of `values` (of `shape`) that NumPy broadcasting puts at `coordinates` of a larger shape.
    static func broadcastElement(_ values: [Double], _ shape: [Int], at outer: [Int]) -> Double {
        let offset = outer.count - shape.count
        let inner = shape.indices.map { shape[$0] == 1 ? 0 : outer[$0 + offset] }
        return values[flatIndex(inner, shape)]
    }

    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = Swift.max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a, pb = [Int](repeating: 1, count: rank - b.count) + b
        return zip(pa, pb).map { Swift.max($0, $1) }
    }

    static func matmul(_ a: [Double], _ aShape: [Int], _ b: [Double], _ bShape: [Int], transposeA: Bool, transposeB: Bool) -> [Double] {
        let m = transposeA ? aShape[1] : aShape[0], k = transposeA ? aShape[0] : aShape[1]
        let n = transposeB ? bShape[0] : bShape[1]
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                for p in 0..<k {
                    let av = transposeA ? a[p * m + i] : a[i * k + p]
                    let bv = transposeB ? b[j * k + p] : b[p * n + j]
                    c[i * n + j] += av * bv
                }
            }
        }
        return c
    }
}

/// A reproducible list of doubles.
func randomValues(_ count: Int, seed: UInt64, low: Double = -2, high: Double = 2) -> [Double] {
    var random = SeededRandom(seed: seed)
    return (0..<count).map { _ in random.uniform(low, high) }
}

func assertClose(_ a: [Double], _ b: [Double], tolerance: Double = 1e-12, _ message: @autoclosure () -> String = "") -> Bool {
    guard a.count == b.count else { return false }
    return zip(a, b).allSatisfy { x, y in
        x == y || (x.isNaN && y.isNaN) || Swift.abs(x - y) <= tolerance * Swift.max(1, Swift.abs(y))
    }
}
