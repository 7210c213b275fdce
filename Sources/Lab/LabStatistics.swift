/// Small statistics the lab reports.
public enum LabStatistics {
    /// The `q`-th percentile (0–100) of `values` by linear interpolation between order statistics
    /// (NumPy's default): rank `q/100 · (n − 1)`. NaN for no values.
    public static func percentile(_ values: [Float], _ q: Double) -> Double {
        percentileOfSorted(values.map(Double.init).sorted(), q)
    }

    /// As `percentile`, for values already sorted ascending.
    public static func percentileOfSorted(_ sorted: [Double], _ q: Double) -> Double {
        guard let first = sorted.first else { return .nan }
        let rank = q / 100 * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down)), high = Swift.min(low + 1, sorted.count - 1)
        guard low >= 0, low < sorted.count else { return first }
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }

    /// The mean of the finite values, NaN when there are none.
    public static func mean(_ values: [Double]) -> Double {
        let finite = values.filter(\.isFinite)
        return finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count)
    }

    /// The Euclidean norm of the concatenation of the arrays.
    public static func norm(_ arrays: [[Float]]) -> Double {
        var sum = 0.0
        for array in arrays { for v in array { sum += Double(v) * Double(v) } }
        return sum.squareRoot()
    }

    /// The Euclidean norm of `a − b`, over arrays paired by position.
    public static func distance(_ a: [[Float]], _ b: [[Float]]) -> Double {
        var sum = 0.0
        for (x, y) in zip(a, b) { for (u, v) in zip(x, y) { let d = Double(u) - Double(v); sum += d * d } }
        return sum.squareRoot()
    }
}

/// A quantity over training steps for several seeds: the mean and the spread (smallest, largest).
public struct SeedBand: Codable, Sendable, Equatable {
    /// The x of each point (training steps).
    public var steps: [Int]
    public var mean: [Double]
    public var low: [Double]
    public var high: [Double]

    /// Combines one series per seed (the same steps each; a shorter series, from a run that
    /// stopped, counts where it has values). Non-finite values are left out; a point without any
    /// finite value is NaN.
    public init(steps: [Int], perSeed: [[Double]]) {
        self.steps = steps
        mean = []
        low = []
        high = []
        for i in steps.indices {
            let values = perSeed.compactMap { $0.indices.contains(i) ? $0[i] : nil }.filter(\.isFinite)
            mean.append(values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count))
            low.append(values.min() ?? .nan)
            high.append(values.max() ?? .nan)
        }
    }
}
