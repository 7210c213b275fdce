import Graph
import Runtime

/// What a metric fetches for a batch.
enum MetricFetches {
    /// One scalar node, the batch mean: batches combine as a row-weighted mean.
    case mean(NodeID)
    /// Confusion counts at thresholds, summed over batches.
    case confusion(ConfusionCounts)

    var nodes: [NodeID] {
        switch self {
        case .mean(let node): return [node]
        case .confusion(let counts): return [counts.truePositives, counts.falsePositives, counts.positives, counts.negatives]
        }
    }
}

/// The counts behind `precision`, `recall` and `auc`, per threshold `t` (an output is predicted
/// positive when `p > t`; a label is positive when it is not 0), over every output of the batch.
struct ConfusionCounts {
    let thresholds: [Double]
    /// `[thresholds]`: positive labels predicted positive.
    let truePositives: NodeID
    /// `[thresholds]`: negative labels predicted positive.
    let falsePositives: NodeID
    /// Scalars: positive and negative labels.
    let positives: NodeID
    let negatives: NodeID

    /// Keras' `AUC(num_thresholds=200)` thresholds: `i/199` for i = 1…198, with `−ε` and `1 + ε` at the ends.
    static let aucThresholds: [Double] = [-1e-7] + (1...198).map { Double($0) / 199 } + [1 + 1e-7]

    static func nodes(labels y: NodeID, predictions p: NodeID, thresholds: [Double], in g: Graph) throws -> ConfusionCounts {
        let outputs = g[p].shape.dims.dropFirst().reduce(1, *)
        let positive = try g.reshape(g.compare(.notEqual, y, g.scalar(0)), [Shape.batch, outputs, 1])
        let negative = try g.sub(g.scalar(1), positive)
        let above = try g.compare(.greater, g.reshape(p, [Shape.batch, outputs, 1]), g.constant(thresholds, shape: [thresholds.count]))
        return ConfusionCounts(thresholds: thresholds,
                               truePositives: try g.sum(g.mul(above, positive), axes: [0, 1]),
                               falsePositives: try g.sum(g.mul(above, negative), axes: [0, 1]),
                               positives: try g.sum(positive), negatives: try g.sum(negative))
    }
}

/// Loss and metrics over many batches: the row-weighted mean of batch means, or the value of
/// counts summed over the batches. Reads the fetches in place; adding a batch allocates nothing.
struct MetricTotals {
    private enum Slot {
        case mean(sum: Int)
        case confusion(Metric, sums: Int, thresholds: Int)
    }
    private let slots: [Slot]
    private var sums: [Double]
    private var rows = 0
    /// Fetches read per batch (loss first).
    let fetchCount: Int
    /// Every slot a mean (no confusion counts): slot k is fetch k and sum k.
    private let meansOnly: Bool

    /// For `[loss] + metrics` fetched as `MetricFetches` (the loss a mean).
    init(metrics: [(Metric, MetricFetches)]) {
        var slots: [Slot] = [.mean(sum: 0)]
        var size = 1, fetches = 1
        for (metric, fetch) in metrics {
            switch fetch {
            case .mean:
                slots.append(.mean(sum: size))
                size += 1
            case .confusion(let counts):
                slots.append(.confusion(metric, sums: size, thresholds: counts.thresholds.count))
                size += 2 * counts.thresholds.count + 2
            }
            fetches += fetch.nodes.count
        }
        self.slots = slots
        self.sums = [Double](repeating: 0, count: size)
        self.fetchCount = fetches
        meansOnly = slots.allSatisfy { if case .mean = $0 { return true } else { return false } }
    }

    mutating func reset() {
        for i in sums.indices { sums[i] = 0 }
        rows = 0
    }

    /// Adds a batch of `count` rows whose fetches start at index 0 of `executable` (trial `trial`'s).
    mutating func add(_ executable: Executable, rows count: Int, trial: Int = 0) throws {
        rows += count
        if meansOnly {
            // The common case (loss, accuracy …): slot k is fetch k.
            for k in sums.indices { sums[k] += try executable.scalar(k, trial: trial) * Double(count) }
            return
        }
        var fetch = 0
        for slot in slots {
            switch slot {
            case .mean(let sum):
                sums[sum] += try executable.scalar(fetch, trial: trial) * Double(count)
                fetch += 1
            case .confusion(_, let base, let thresholds):
                // True positives, false positives (a value per threshold), positives, negatives.
                try executable.withOutputs(fetch..<(fetch + 4), trial: trial) { i, values in
                    let offset = base + [0, thresholds, 2 * thresholds, 2 * thresholds + 1][i - fetch]
                    for j in values.indices { sums[offset + j] += Double(values[j]) }
                }
                fetch += 4
            }
        }
    }

    /// The value of `[loss] + metrics` at index `k`, over the batches added so far.
    func value(_ k: Int) -> Double {
        switch slots[k] {
        case .mean(let sum): return sums[sum] / Double(Swift.max(rows, 1))
        case .confusion(let metric, let base, let thresholds):
            return Self.confusionValue(metric, sums[base..<(base + 2 * thresholds + 2)], thresholds: thresholds)
        }
    }

    var values: [Double] { slots.indices.map(value) }

    /// `divide_no_nan`: 0 when the denominator is.
    private static func ratio(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }

    private static func confusionValue(_ metric: Metric, _ counts: ArraySlice<Double>, thresholds n: Int) -> Double {
        let start = counts.startIndex
        let positives = counts[start + 2 * n], negatives = counts[start + 2 * n + 1]
        func tp(_ i: Int) -> Double { counts[start + i] }
        func fp(_ i: Int) -> Double { counts[start + n + i] }
        switch metric {
        case .precision: return ratio(tp(0), tp(0) + fp(0))
        case .recall: return ratio(tp(0), positives)
        default:
            // ROC by the trapezoid rule over the thresholds, as Keras' AUC (interpolation).
            var area = 0.0
            for i in 0..<(n - 1) {
                let height = (ratio(tp(i), positives) + ratio(tp(i + 1), positives)) / 2
                area += (ratio(fp(i), negatives) - ratio(fp(i + 1), negatives)) * height
            }
            return area
        }
    }
}
