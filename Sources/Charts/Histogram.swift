/// Counts of values in equal-width bins: `edges` has one more entry than `counts`; the last bin
/// includes its upper edge.
public struct Histogram: Sendable, Equatable, Codable {
    public var edges: [Double]
    public var counts: [Int]

    public init(edges: [Double], counts: [Int]) {
        self.edges = edges
        self.counts = counts
    }

    /// The histogram of `values` in `bins` bins over `range` (default: their minimum to maximum;
    /// a single value gets a bin of width 1 around it). Non-finite values are skipped.
    public init<S: Sequence>(of values: S, bins: Int = 32, range: ClosedRange<Double>? = nil) where S.Element: BinaryFloatingPoint {
        let finite = values.map(Double.init).filter(\.isFinite)
        var low = range?.lowerBound ?? finite.min() ?? 0
        var high = range?.upperBound ?? finite.max() ?? 1
        if low == high { low -= 0.5; high += 0.5 }
        let count = Swift.max(bins, 1)
        let width = (high - low) / Double(count)
        edges = (0...count).map { low + Double($0) * width }
        counts = [Int](repeating: 0, count: count)
        for v in finite where v >= low && v <= high {
            counts[Swift.min(Int((v - low) / width), count - 1)] += 1
        }
    }

    /// The total count.
    public var total: Int { counts.reduce(0, +) }
}
