/// Fewer points (at most `width`) for a chart that keep its shape: the series is cut into
/// `(width − 2)/2` buckets of consecutive points, and each bucket keeps its smallest and largest value
/// (in their order), so spikes and divergences stay visible. The first and last points are kept.
/// Series of at most `width` points come back whole; non-finite values count as neither.
enum Downsampling {
    static func minMax(_ points: [(x: Double, y: Double)], width: Int) -> [(x: Double, y: Double)] {
        guard width >= 4, points.count > width else { return points }
        let buckets = (width - 2) / 2  // with the first and last points, at most `width` in all
        var kept: [(x: Double, y: Double)] = [points[0]]
        for bucket in 0..<buckets {
            let lower = 1 + bucket * (points.count - 2) / buckets, upper = 1 + (bucket + 1) * (points.count - 2) / buckets
            guard lower < upper else { continue }
            var low = lower, high = lower
            for i in lower..<upper {
                if !points[low].y.isFinite || (points[i].y.isFinite && points[i].y < points[low].y) { low = i }
                if !points[high].y.isFinite || (points[i].y.isFinite && points[i].y > points[high].y) { high = i }
            }
            kept += low == high ? [points[low]] : [points[Swift.min(low, high)], points[Swift.max(low, high)]]
        }
        kept.append(points[points.count - 1])
        return kept
    }
}
