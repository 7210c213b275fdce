import Graph

/// The scalar definitions of every `UnaryOp` and `BinaryOp`, applied over contiguous runs.
/// Fused and unfused elementwise kernels, constant folding and the gradient checks all come here,
/// so there is one definition of each function. Each case is its own loop so the compiler can
/// vectorize it; NaN propagates through every function except the comparisons.
enum ElementwiseFunctions {
    /// `destination[i] = op(source[i])` for `i < count`; `source` may equal `destination`.
    /// `indexBase` is the global index of element 0 and `step` the session's run counter (both
    /// only matter for dropout and noise).
    @inline(__always)
    static func apply<T: TensorScalar>(_ op: UnaryOp, _ source: UnsafePointer<T>, _ destination: UnsafeMutablePointer<T>,
                                       count: Int, indexBase: Int, step: UInt64) {
        switch op {
        case .neg: map(source, destination, count) { -$0 }
        case .exp: map(source, destination, count) { T.exp($0) }
        case .log: map(source, destination, count) { T.log($0) }
        case .sqrt: map(source, destination, count) { $0.squareRoot() }
        case .rsqrt: map(source, destination, count) { 1 / $0.squareRoot() }
        case .square: map(source, destination, count) { $0 * $0 }
        case .abs: map(source, destination, count) { Swift.abs($0) }
        case .sign: map(source, destination, count) { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0 * 0) }
        case .pow(let p):
            switch p {
            case 1: map(source, destination, count) { $0 }
            case 2: map(source, destination, count) { $0 * $0 }
            case 3: map(source, destination, count) { $0 * $0 * $0 }
            case 0.5: map(source, destination, count) { $0.squareRoot() }
            case -1: map(source, destination, count) { 1 / $0 }
            default:
                let e = T(p)
                map(source, destination, count) { T.pow($0, e) }
            }
        case .clip(let lower, let upper):
            let lo = T(lower), hi = T(upper)
            map(source, destination, count) { Swift.min(Swift.max($0, lo), hi) }
        case .relu: map(source, destination, count) { Swift.max($0, 0) }
        case .leakyRelu(let alpha):
            // max(x, αx) for α ≤ 1 and min(x, αx) for α > 1 equal "x if x ≥ 0 else αx" without a branch.
            let a = T(alpha)
            if alpha <= 1 {
                map(source, destination, count) { Swift.max($0, a * $0) }
            } else {
                map(source, destination, count) { Swift.min($0, a * $0) }
            }
        case .elu(let alpha):
            let a = T(alpha)
            map(source, destination, count) { $0 > 0 ? $0 : a * T.expm1($0) }
        case .sigmoid: map(source, destination, count) { 1 / (1 + T.exp(-$0)) }
        case .tanh: map(source, destination, count) { T.tanh($0) }
        case .softplus: map(source, destination, count) { ($0 > 0 ? $0 : 0) + T.log1p(T.exp(-Swift.abs($0))) }
        case .dropout(let rate, let seed, let training):
            guard training, rate > 0 else {
                if UnsafePointer(destination) != source { destination.update(from: source, count: count) }
                return
            }
            let key = CounterRandom.key(seed: seed, step: step)
            let scale = T(1 / (1 - rate))
            for i in 0..<count {
                let keep = CounterRandom.uniform(key: key, index: indexBase + i) >= rate
                destination[i] = keep ? source[i] * scale : 0
            }
        case .gaussianNoise(let stddev, let seed, let training):
            guard training, stddev > 0 else {
                if UnsafePointer(destination) != source { destination.update(from: source, count: count) }
                return
            }
            let key = CounterRandom.key(seed: seed, step: step)
            for i in 0..<count {
                destination[i] = source[i] + T(stddev * CounterRandom.normal(key: key, index: indexBase + i))
            }
        }
    }

    /// `destination[i] = op(a[i], b[i])`, where an operand flagged scalar is read at index 0 for
    /// every `i`. Either operand may equal `destination`.
    @inline(__always)
    static func apply<T: TensorScalar>(_ op: BinaryOp, _ a: UnsafePointer<T>, aIsScalar: Bool, _ b: UnsafePointer<T>, bIsScalar: Bool,
                                       _ destination: UnsafeMutablePointer<T>, count: Int) {
        switch op {
        case .add: map2(a, aIsScalar, b, bIsScalar, destination, count) { $0 + $1 }
        case .sub: map2(a, aIsScalar, b, bIsScalar, destination, count) { $0 - $1 }
        case .mul: map2(a, aIsScalar, b, bIsScalar, destination, count) { $0 * $1 }
        case .div: map2(a, aIsScalar, b, bIsScalar, destination, count) { $0 / $1 }
        case .maximum: map2(a, aIsScalar, b, bIsScalar, destination, count) { ($0 > $1 || $0 != $0) ? $0 : $1 }
        case .minimum: map2(a, aIsScalar, b, bIsScalar, destination, count) { ($0 < $1 || $0 != $0) ? $0 : $1 }
        case .compare(let c):
            switch c {
            case .greater: map2(a, aIsScalar, b, bIsScalar, destination, count) { $0 > $1 ? 1 : 0 }
            case .greaterEqual: map2(a, aIsScalar, b, bIsScalar, destination, count) { $0 >= $1 ? 1 : 0 }
            case .less: map2(a, aIsScalar, b, bIsScalar, destination, count) { $0 < $1 ? 1 : 0 }
            case .lessEqual: map2(a, aIsScalar, b, bIsScalar, destination, count) { $0 <= $1 ? 1 : 0 }
            case .equal: map2(a, aIsScalar, b, bIsScalar, destination, count) { $0 == $1 ? 1 : 0 }
            case .notEqual: map2(a, aIsScalar, b, bIsScalar, destination, count) { $0 != $1 ? 1 : 0 }
            }
        case .sigmoidGradient: map2(a, aIsScalar, b, bIsScalar, destination, count) { $1 * $0 * (1 - $0) }
        }
    }

    /// `destination[i] = f(source[i])`. In place (the same buffer) it is a one-pointer loop, which
    /// the compiler vectorizes without an overlap check. `f` must not return its argument unchanged
    /// through a branch (`x < 0 ? 0 : x`), which the compiler turns into a conditional store; use
    /// `max`/`min` instead.
    @inline(__always)
    private static func map<T>(_ source: UnsafePointer<T>, _ destination: UnsafeMutablePointer<T>, _ count: Int, _ f: (T) -> T) {
        if source == UnsafePointer(destination) {
            for i in 0..<count { destination[i] = f(destination[i]) }
        } else {
            for i in 0..<count { destination[i] = f(source[i]) }
        }
    }

    @inline(__always)
    private static func map2<T>(_ a: UnsafePointer<T>, _ aIsScalar: Bool, _ b: UnsafePointer<T>, _ bIsScalar: Bool,
                                _ destination: UnsafeMutablePointer<T>, _ count: Int, _ f: (T, T) -> T) {
        switch (aIsScalar, bIsScalar) {
        case (false, false):
            if a == UnsafePointer(destination) {
                for i in 0..<count { destination[i] = f(destination[i], b[i]) }
            } else if b == UnsafePointer(destination) {
                for i in 0..<count { destination[i] = f(a[i], destination[i]) }
            } else {
                for i in 0..<count { destination[i] = f(a[i], b[i]) }
            }
        case (false, true):
            let s = b[0]
            if a == UnsafePointer(destination) {
                for i in 0..<count { destination[i] = f(destination[i], s) }
            } else {
                for i in 0..<count { destination[i] = f(a[i], s) }
            }
        case (true, false):
            let s = a[0]
            if b == UnsafePointer(destination) {
                for i in 0..<count { destination[i] = f(s, destination[i]) }
            } else {
                for i in 0..<count { destination[i] = f(s, b[i]) }
            }
        case (true, true):
            let v = f(a[0], b[0])
            for i in 0..<count { destination[i] = v }
        }
    }
}
