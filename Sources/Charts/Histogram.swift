/// Counts of values in equal-width bins: `edges` has one more entry than `counts`; the last bin
/// includes its upper edge. NaN and ±infinity are not binned: they are counted apart in
/// `nonFinite`.
public struct Histogram: Sendable, Equatable, Codable {
    public var edges: [Double]
    public var counts: [Int]
    /// The values that were not binned because they are not finite.
    public var nonFinite: NonFiniteCounts

    public init(edges: [Double], counts: [Int], nonFinite: NonFiniteCounts = NonFiniteCounts()) {
        self.edges = edges
        self.counts = counts
        self.nonFinite = nonFinite
    }

    /// The histogram of `values` in `bins` bins over `range` (default: their finite minimum to
    /// maximum; a single value gets a bin of width 1 around it, wider where doubles are sparser
    /// than that). A `range` with a non-finite end is ignored. Non-finite values are counted in
    /// `nonFinite`, values outside `range` nowhere.
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
        var binned = Binned(low: 0, high: 1, nonFinite: NonFiniteCounts())
        counts = [Int](unsafeUninitializedCapacity: count) { buffer, initialized in
            binned = values.withUnsafeBufferPointer { Self.binGeneric($0, range: range, into: buffer) }
            initialized = count
        }
        edges = Self.edges(low: binned.low, high: binned.high, bins: count)
        nonFinite = binned.nonFinite
    }

    /// What `bin` found: the range's ends (the first and last edge) and the values it did not bin.
    public struct Binned: Sendable, Equatable {
        public var low: Double
        public var high: Double
        public var nonFinite: NonFiniteCounts

        public init(low: Double, high: Double, nonFinite: NonFiniteCounts) {
            self.low = low
            self.high = high
            self.nonFinite = nonFinite
        }
    }

    /// Bins `values` into `counts` (its count is the number of bins, at least 1; overwritten) over
    /// `range` — by default the finite values' minimum to maximum, widened around a single value,
    /// [0, 1] when there is none. What `init(of:bins:range:)` does, for callers that keep their
    /// own buffers. Any values bin: equal huge ones, and ranges wider than the largest double.
    public static func bin(_ values: UnsafeBufferPointer<Float>, range: ClosedRange<Double>? = nil,
                           into counts: UnsafeMutableBufferPointer<Int>) -> Binned {
        binGeneric(values, range: range, into: counts)
    }

    /// `bin` for `Double` values.
    public static func bin(_ values: UnsafeBufferPointer<Double>, range: ClosedRange<Double>? = nil,
                           into counts: UnsafeMutableBufferPointer<Int>) -> Binned {
        binGeneric(values, range: range, into: counts)
    }

    /// `bins + 1` equally spaced edges from `low` to `high` (exactly those at the ends), computed
    /// without overflow even when `high − low` exceeds the largest double.
    public static func edges(low: Double, high: Double, bins: Int) -> [Double] {
        let count = Swift.max(bins, 1)
        return (0...count).map { i in
            if i == 0 { return low }
            if i == count { return high }
            let f = Double(i) / Double(count)
            // Monotone in f: a finite span is scaled; an overflowing one has low < 0 < high, so
            // both terms grow with f.
            let span = high - low
            return span.isFinite ? Swift.min(low + span * f, high) : low * (1 - f) + high * f
        }
    }

    @inline(__always)
    private static func binGeneric<T: BinaryFloatingPoint>(_ values: UnsafeBufferPointer<T>, range: ClosedRange<Double>?,
                                                          into counts: UnsafeMutableBufferPointer<Int>) -> Binned {
        // One pass for the range, one for the counts, no intermediate arrays (it runs every epoch).
        var low = Double.infinity, high = -Double.infinity
        var nonFinite = NonFiniteCounts()
        for value in values {
            let v = Double(value)
            if v.isFinite {
                if v < low { low = v }
                if v > high { high = v }
            } else {
                nonFinite.add(v)
            }
        }
        if let range, range.lowerBound.isFinite, range.upperBound.isFinite {
            low = range.lowerBound
            high = range.upperBound
        }
        if low > high { low = 0; high = 1 }
        if low == high { (low, high) = widened(low) }
        let count = counts.count
        counts.update(repeating: 0)
        // t = (v − low) / (high − low) in [0, 1]; halved when the span overflows, divided when
        // its reciprocal does (a span of a few subnormals).
        let direct = (high - low).isFinite
        let span = direct ? high - low : high / 2 - low / 2
        let reciprocal = 1 / span
        let multiply = reciprocal.isNormal  // a subnormal reciprocal has lost precision
        let bins = Double(count)
        for value in values {
            let v = Double(value)
            // NaN fails both comparisons; infinities fall outside [low, high] (finite).
            guard v >= low && v <= high else { continue }
            let offset = direct ? v - low : v / 2 - low / 2
            let t = multiply ? offset * reciprocal : offset / span
            let position = t * bins
            counts[position < bins ? Int(position) : count - 1] += 1
        }
        return Binned(low: low, high: high, nonFinite: nonFinite)
    }

    /// A range around a single value `x`: ±0.5, or more where doubles are sparser than that (so
    /// that the ends differ from `x`), within the finite doubles.
    static func widened(_ x: Double) -> (low: Double, high: Double) {
        let pad = Swift.max(0.5, x.magnitude.ulp * 64)
        let low = Swift.max(x - pad, -Double.greatestFiniteMagnitude)
        let high = Swift.min(x + pad, Double.greatestFiniteMagnitude)
        return (low, high)
    }

    /// The total count of binned values (at most `Int.max`, whatever the counts).
    public var total: Int { counts.reduce(0) { $0.saturatingAdd($1) } }
}

/// How many values were NaN, +infinity and −infinity.
public struct NonFiniteCounts: Sendable, Equatable, Codable {
    public var nan: Int
    public var positiveInfinity: Int
    public var negativeInfinity: Int

    public init(nan: Int = 0, positiveInfinity: Int = 0, negativeInfinity: Int = 0) {
        self.nan = nan
        self.positiveInfinity = positiveInfinity
        self.negativeInfinity = negativeInfinity
    }

    /// Counts a non-finite value.
    @inline(__always)
    mutating func add(_ value: Double) {
        if value.isNaN { nan += 1 } else if value > 0 { positiveInfinity += 1 } else { negativeInfinity += 1 }
    }

    public var total: Int { nan.saturatingAdd(positiveInfinity).saturatingAdd(negativeInfinity) }

    /// "3 NaN, 1 +inf" (empty when there are none).
    public var description: String {
        [(nan, "NaN"), (positiveInfinity, "+inf"), (negativeInfinity, "−inf")].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    }

    public static func + (a: NonFiniteCounts, b: NonFiniteCounts) -> NonFiniteCounts {
        NonFiniteCounts(nan: a.nan.saturatingAdd(b.nan), positiveInfinity: a.positiveInfinity.saturatingAdd(b.positiveInfinity),
                        negativeInfinity: a.negativeInfinity.saturatingAdd(b.negativeInfinity))
    }
}

extension Histogram {
    private enum CodingKeys: String, CodingKey { case edges, counts, nonFinite }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        edges = try container.decode([Double].self, forKey: .edges)
        counts = try container.decode([Int].self, forKey: .counts)
        nonFinite = try container.decodeIfPresent(NonFiniteCounts.self, forKey: .nonFinite) ?? NonFiniteCounts()
    }
}

extension Int {
    /// `self + other`, or `Int.max`/`Int.min` where that overflows (counts read from a file).
    func saturatingAdd(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
