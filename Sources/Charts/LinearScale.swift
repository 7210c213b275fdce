/// A linear map from a value range onto [0, 1] that works for any finite range: one wider than the
/// largest double (−1e308 to 1e308), one a few subnormals wide, or a single value.
public struct LinearScale: Sendable, Equatable {
    public private(set) var low: Double
    public private(set) var high: Double

    /// The range of the finite `values` (NaN and ±infinity are ignored), widened around a single
    /// value; `fallback` when there is no finite value.
    public init<S: Sequence>(covering values: S, fallback: ClosedRange<Double> = 0...1) where S.Element == Double {
        var low = Double.infinity, high = -Double.infinity
        for v in values where v.isFinite {
            if v < low { low = v }
            if v > high { high = v }
        }
        if low > high { (low, high) = (fallback.lowerBound, fallback.upperBound) }
        self.init(low: low, high: high)
    }

    /// `low…high`, widened when they are equal (non-finite ends become the largest doubles).
    public init(low: Double, high: Double) {
        var low = low.isFinite ? low : (low > 0 ? Double.greatestFiniteMagnitude : -Double.greatestFiniteMagnitude)
        var high = high.isFinite ? high : (high < 0 ? -Double.greatestFiniteMagnitude : Double.greatestFiniteMagnitude)
        if low.isNaN { low = 0 }
        if high.isNaN { high = 1 }
        if low > high { swap(&low, &high) }
        if low == high { (low, high) = Histogram.widened(low) }
        self.low = low
        self.high = high
    }

    /// Half the width of the range (never overflows).
    private var halfSpan: Double { high / 2 - low / 2 }

    /// Widens the range by `fraction` of its width on each side, within the finite doubles.
    public func padded(by fraction: Double) -> LinearScale {
        let pad = halfSpan * 2 * fraction
        guard pad.isFinite else { return LinearScale(low: -Double.greatestFiniteMagnitude, high: Double.greatestFiniteMagnitude) }
        return LinearScale(low: Swift.max(low - pad, -Double.greatestFiniteMagnitude), high: Swift.min(high + pad, Double.greatestFiniteMagnitude))
    }

    /// Where `value` lies: 0 at `low`, 1 at `high` (outside for values outside; NaN for NaN).
    public func fraction(_ value: Double) -> Double {
        if value.isInfinite { return value > 0 ? .infinity : -.infinity }
        let span = high - low
        if span.isFinite { return (value - low) / span }
        return (value / 2 - low / 2) / halfSpan
    }

    /// The value at `fraction` of the way from `low` to `high`.
    public func value(at fraction: Double) -> Double {
        if fraction == 0 { return low }
        if fraction == 1 { return high }
        let span = high - low
        return span.isFinite ? low + span * fraction : low * (1 - fraction) + high * fraction
    }
}

/// The mean of finite values without overflow (each value is divided by the count before it is
/// added), or nil when there is none.
public func finiteMean<C: Collection>(_ values: C) -> Double? where C.Element == Double {
    let finite = values.filter(\.isFinite)
    guard !finite.isEmpty else { return nil }
    let n = Double(finite.count)
    return finite.reduce(0) { $0 + $1 / n }
}

