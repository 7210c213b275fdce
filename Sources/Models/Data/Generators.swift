import Foundation
import Runtime

/// Synthetic datasets in the manner of scikit-learn's `make_*` functions, seeded (the same seed
/// gives the same data; the numbers differ from scikit-learn's own generator).
public enum Generators {
    /// Two concentric circles: the outer one (radius 1) is class 0, the inner one (radius
    /// `factor`) class 1, with Gaussian noise of standard deviation `noise`, rows shuffled.
    public static func circles(samples: Int = 100, noise: Double = 0, factor: Double = 0.8, seed: UInt64 = 0) throws -> Dataset {
        guard factor > 0, factor < 1 else { throw ModelError.invalidConfiguration("circles: factor must be in (0, 1), got \(factor)") }
        var random = SeededRandom(seed: seed)
        let outer = samples / 2, inner = samples - outer
        var points: [(Double, Double, Float)] = []
        for i in 0..<outer {
            let angle = 2 * Double.pi * Double(i) / Double(outer)
            points.append((Foundation.cos(angle), Foundation.sin(angle), 0))
        }
        for i in 0..<inner {
            let angle = 2 * Double.pi * Double(i) / Double(inner)
            points.append((factor * Foundation.cos(angle), factor * Foundation.sin(angle), 1))
        }
        return try assemble(points, noise: noise, random: &random)
    }

    /// Two interleaving half circles (class 0 above, class 1 below), with Gaussian noise, shuffled.
    public static func moons(samples: Int = 100, noise: Double = 0, seed: UInt64 = 0) throws -> Dataset {
        var random = SeededRandom(seed: seed)
        let outer = samples / 2, inner = samples - outer
        var points: [(Double, Double, Float)] = []
        for i in 0..<outer {
            let angle = Double.pi * Double(i) / Double(Swift.max(outer - 1, 1))
            points.append((Foundation.cos(angle), Foundation.sin(angle), 0))
        }
        for i in 0..<inner {
            let angle = Double.pi * Double(i) / Double(Swift.max(inner - 1, 1))
            points.append((1 - Foundation.cos(angle), 0.5 - Foundation.sin(angle), 1))
        }
        return try assemble(points, noise: noise, random: &random)
    }

    /// Isotropic Gaussian blobs around `centers` random centres in `[−10, 10]^features`, labels the
    /// blob index, rows shuffled.
    public static func blobs(samples: Int = 100, centers: Int = 3, features: Int = 2, standardDeviation: Double = 1, seed: UInt64 = 0) throws -> Dataset {
        guard centers > 0, features > 0 else { throw ModelError.invalidConfiguration("blobs needs at least one centre and one feature") }
        var random = SeededRandom(seed: seed)
        let middles = (0..<centers).map { _ in (0..<features).map { _ in random.uniform(-10, 10) } }
        var rows: [([Float], Float)] = []
        for i in 0..<samples {
            let c = i % centers
            rows.append((middles[c].map { Float($0 + random.normal() * standardDeviation) }, Float(c)))
        }
        shuffle(&rows, &random)
        return try Dataset(x: Matrix(rows.map(\.0)), y: Matrix(column: rows.map(\.1)))
    }

    /// A linear regression problem: `y = x·w + noise` with `x ~ N(0, 1)`, `w ~ U(0, 100)` (as
    /// scikit-learn's `make_regression`) and Gaussian noise of standard deviation `noise`.
    public static func regression(samples: Int = 100, features: Int = 1, noise: Double = 0, seed: UInt64 = 0) throws -> Dataset {
        var random = SeededRandom(seed: seed)
        let weights = (0..<features).map { _ in random.uniform(0, 100) }
        var x: [Float] = [], y: [Float] = []
        for _ in 0..<samples {
            let row = (0..<features).map { _ in random.normal() }
            x += row.map(Float.init)
            y.append(Float(zip(row, weights).reduce(0) { $0 + $1.0 * $1.1 } + random.normal() * noise))
        }
        return try Dataset(x: Matrix(rows: samples, columns: features, values: x), y: Matrix(column: y))
    }

    private static func assemble(_ points: [(Double, Double, Float)], noise: Double, random: inout SeededRandom) throws -> Dataset {
        var rows = points.map { p in ([Float(p.0 + random.normal() * noise), Float(p.1 + random.normal() * noise)], p.2) }
        shuffle(&rows, &random)
        return try Dataset(x: Matrix(rows.map(\.0)), y: Matrix(column: rows.map(\.1)), featureNames: ["x0", "x1"], targetNames: ["label"])
    }

    private static func shuffle<T>(_ items: inout [T], _ random: inout SeededRandom) {
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, Int(random.next() % UInt64(i + 1))) }
    }
}
