import Runtime

/// Maximizes an acquisition function over the unit cube: `candidates` seeded uniform points (plus
/// any given starting points), then projected gradient ascent with backtracking from the best
/// `starts` of them, the gradient by central differences. Deterministic for a seed.
enum AcquisitionOptimizer {
    static func maximize(dimensions d: Int, seed: UInt64, including extra: [[Double]] = [], candidates: Int = 512, starts: Int = 5,
                         steps: Int = 40, _ f: ([Double]) -> Double) -> (point: [Double], value: Double) {
        var random = SeededRandom(seed: seed)
        var pool = extra.map { ($0, f($0)) }
        for _ in 0..<candidates {
            let x = (0..<d).map { _ in random.uniform() }
            pool.append((x, f(x)))
        }
        pool = pool.filter { $0.1.isFinite }.sorted { $0.1 > $1.1 }
        guard var best = pool.first else { return ((0..<d).map { _ in random.uniform() }, -.infinity) }
        for (start, value) in pool.prefix(starts) {
            let climbed = ascend(from: start, value: value, steps: steps, f)
            if climbed.1 > best.1 { best = climbed }
        }
        return best
    }

    private static func ascend(from start: [Double], value: Double, steps: Int, _ f: ([Double]) -> Double) -> ([Double], Double) {
        var x = start, fx = value, stepSize = 0.1
        let h = 1e-5
        for _ in 0..<steps {
            let gradient = x.indices.map { j -> Double in
                var up = x, down = x
                up[j] = Swift.min(x[j] + h, 1)
                down[j] = Swift.max(x[j] - h, 0)
                let width = up[j] - down[j]
                return width > 0 ? (f(up) - f(down)) / width : 0
            }
            let norm = gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 1e-12, norm.isFinite else { break }
            var improved = false
            while stepSize > 1e-6 {
                let candidate = zip(x, gradient).map { Swift.min(Swift.max($0 + stepSize * $1 / norm, 0), 1) }
                let value = f(candidate)
                if value > fx {
                    (x, fx, improved) = (candidate, value, true)
                    stepSize *= 1.5
                    break
                }
                stepSize /= 2
            }
            if !improved { break }
        }
        return (x, fx)
    }
}
