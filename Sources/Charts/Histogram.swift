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
    public init(of values: [Float], bins: Int = 32, range: ClosedRange<Double>? = nil) {
        self.init(generic: values, bins: bins, range: range)
    }

    public init(of values: [Double], bins: Int = 32, range: ClosedRange<Double>? = nil) {
        self.init(generic: values, bins: bins, range: range)
    }

    /// Any sequence of floating-point values (the array overloads are the fast path).
    public init<S: Sequence>(of values: S, bins: Int = 32, range: ClosedRange<Double>? = nil) where S.Element: BinaryFloatingPoint {
        self.init(generic: Array(values).map(Double.init), bins: bins, range: range)
    }

    @inline(__always)
    private init<T: BinaryFloatingPoint>(generic values: [T], bins: Int, range: ClosedRange<Double>?) {
        let count = Swift.max(bins, 1)
        var low = 0.0, high = 0.0
        counts = [Int](unsafeUninitializedCapacity: count) { buffer, initialized in
            (low, high) = values.withUnsafeBufferPointer { Self.binGeneric($0, range: range, into: buffer) }
            initialized = count
        }
        let width = (high - low) / Double(count)
        edges = [Double](unsafeUninitializedCapacity: count + 1) { buffer, initialized in
            for i in 0...count { buffer[i] = low + Double(i) * width }
            initialized = count + 1
        }
    }

    /// Bins `values` into `counts` (its count is the number of bins, at least 1; overwritten) over
    /// `range` — by default the finite values' minimum to maximum, widened to ±0.5 around a single
    /// value, [0, 1] when there is none — and returns the range's ends (the first and last edge).
    /// What `init(of:bins:range:)` does, for callers that keep their own buffers.
    public static func bin(_ values: UnsafeBufferPointer<Float>, range: ClosedRange<Double>? = nil,
                           into counts: UnsafeMutableBufferPointer<Int>) -> (low: Double, high: Double) {
        binGeneric(values, range: range, into: counts)
    }

    /// `bin` for `Double` values.
    public static func bin(_ values: UnsafeBufferPointer<Double>, range: ClosedRange<Double>? = nil,
                           into counts: UnsafeMutableBufferPointer<Int>) -> (low: Double, high: Double) {
        binGeneric(values, range: range, into: counts)
    }

    @inline(__always)
    private static func binGeneric<T: BinaryFloatingPoint>(_ values: UnsafeBufferPointer<T>, range: ClosedRange<Double>?,
                                                          into counts: UnsafeMutableBufferPointer<Int>) -> (low: Double, high: Double) {
        // One pass for the range, one for the counts, no intermediate arrays (it runs every epoch).
        var low = Double.infinity, high = -Double.infinity
        if let range {
            low = range.lowerBound
            high = range.upperBound
        } else {
            for value in values {
                let v = Double(value)
                if v.isFinite {
                    if v < low { low = v }
                    if v > high { high = v }
                }
            }
            if low > high { low = 0; high = 1 }
        }
        if low == high { low -= 0.5; high += 0.5 }
        let count = counts.count
        counts.update(repeating: 0)
        let scale = Double(count) / (high - low)
        for value in values {
            let v = Double(value)
            // NaN fails both comparisons; infinities fall outside [low, high] (finite).
            if v >= low && v <= high {
                counts[Swift.min(Int((v - low) * scale), count - 1)] += 1
            }
        }
        return (low, high)
    }

    /// The total count.
    public var total: Int { counts.reduce(0, +) }
}
