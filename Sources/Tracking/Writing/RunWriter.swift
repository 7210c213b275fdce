import Charts

/// Logged rows made ready for the store outside any transaction (histograms binned, JSON
/// written, summaries folded), so the write transaction itself stays short.
///
/// History is stored as W&B stores it: one row per step and write, holding a JSON object of the
/// metrics logged at that step (`{"loss":0.42,"accuracy":0.81}`); histograms likewise, one row
/// per step holding every histogram logged at that step
/// (`{"parameters/dense/kernel":{"low":-0.3,"high":0.29,"counts":[1,0,4,…]}}`). Few, larger rows
/// keep logging cheap (a 100-epoch run is a few hundred rows, not thousands; the writer prepares
/// what was logged in rounds, and a step split across rounds gets a row per round, merged on read).
struct PreparedRows {
    /// Per step: when it was last logged (seconds since 1970) and its metrics as a JSON object.
    var history: [(step: Int, time: Double, json: String)] = []
    var histograms: [(step: Int, json: String)] = []
    /// Per key, in first-logged order: last (by step), min and max (NaN skipped), count.
    var summaries: [(key: String, summary: MetricSummary)] = []
    /// Where each key's summary is in `summaries`.
    private var summaryIndex: [String: Int] = [:]
    var system: [(time: Double, key: String, value: Double)] = []

    init() {}

    init(_ rows: PendingRows) {
        var metrics: [(step: Int, time: Double, key: String, value: Double)] = []
        metrics.reserveCapacity(rows.metrics.reduce(0) { $0 + $1.keys.count })
        for row in rows.metrics {
            for (key, value) in zip(row.keys, row.values) { metrics.append((row.step, row.time, key, value)) }
        }
        prepareHistory(metrics)
        var histograms: [PendingHistogram] = []
        histograms.reserveCapacity(rows.histograms.reduce(0) { $0 + $1.names.count })
        for row in rows.histograms {
            for (name, source) in zip(row.names, row.eachSource) {
                histograms.append(PendingHistogram(step: row.step, name: name, bins: row.bins, source: source))
            }
        }
        prepareHistograms(histograms)
        system = rows.system
    }

    private mutating func prepareHistory(_ metrics: [(step: Int, time: Double, key: String, value: Double)]) {
        for group in groupedByStep(metrics, step: \.step) {
            // Within a step, a key logged twice keeps its later value.
            var latest: [String: Double] = [:], order: [String] = []
            for m in group.rows where latest.updateValue(m.value, forKey: m.key) == nil { order.append(m.key) }
            var json = JSONText(capacity: 24 * order.count)
            json.raw("{")
            for (i, key) in order.enumerated() {
                if i > 0 { json.raw(",") }
                json.string(key)
                json.raw(":")
                json.number(latest[key]!)
            }
            json.raw("}")
            history.append((group.step, group.rows.reduce(0) { Swift.max($0, $1.time) }, json.text))
            for m in group.rows {
                let single = MetricSummary(last: m.value, lastStep: m.step, min: m.value.isNaN ? .infinity : m.value,
                                           max: m.value.isNaN ? -.infinity : m.value, count: 1)
                fold(single, into: m.key)
            }
        }
    }

    /// Adds rows prepared later (the writer prepares while a run trains and writes the lot at the
    /// next flush): their rows follow these, their summaries fold into these.
    mutating func append(_ later: PreparedRows) {
        history += later.history
        histograms += later.histograms
        system += later.system
        for (key, summary) in later.summaries { fold(summary, into: key) }
    }

    private mutating func fold(_ summary: MetricSummary, into key: String) {
        if let index = summaryIndex[key] {
            summaries[index].summary.fold(summary)
        } else {
            summaryIndex[key] = summaries.count
            summaries.append((key, summary))
        }
    }

    var isEmpty: Bool { history.isEmpty && histograms.isEmpty && summaries.isEmpty && system.isEmpty }

    /// About how many bytes these rows take in the store.
    var byteCount: Int {
        history.reduce(0) { $0 + $1.json.utf8.count + 16 } + histograms.reduce(0) { $0 + $1.json.utf8.count + 16 }
            + summaries.count * 64 + system.count * 32
    }

    private mutating func prepareHistograms(_ pending: [PendingHistogram]) {
        guard !pending.isEmpty else { return }
        // Indices by step (logging is nearly always in step order already: then no sort).
        var order = Array(pending.indices)
        if !zip(pending, pending.dropFirst()).allSatisfy({ $0.step <= $1.step }) {
            order.sort { (pending[$0].step, $0) < (pending[$1].step, $1) }
        }
        var counts: [Int] = []
        var start = 0
        while start < order.count {
            let step = pending[order[start]].step
            var end = start + 1
            while end < order.count && pending[order[end]].step == step { end += 1 }
            let group = order[start..<end]
            var json = JSONText(capacity: 320 * group.count)
            json.raw("{")
            var first = true
            // A name logged twice at a step keeps its later histogram: a short scan for the few
            // histograms of a usual step, a table past a few dozen.
            let lastIndexByName = group.count > 32 ? Dictionary(group.map { (pending[$0].name, $0) }, uniquingKeysWith: { $1 }) : nil
            for (position, index) in zip(group.indices, group) {
                let item = pending[index]
                if let lastIndexByName {
                    if lastIndexByName[item.name] != index { continue }
                } else if group[(position + 1)...].contains(where: { pending[$0].name == item.name }) {
                    continue
                }
                if !first { json.raw(",") }
                first = false
                json.string(item.name)
                json.literal(":{\"low\":")
                let binned: Histogram.Binned
                switch item.source {
                case .floats(let values): binned = Self.bin(values[...], bins: item.bins, into: &counts)
                case .floatSlice(let values): binned = Self.bin(values, bins: item.bins, into: &counts)
                case .doubles(let values): binned = Self.bin(values, bins: item.bins, into: &counts)
                case .ready(let histogram):
                    counts = histogram.counts
                    binned = Histogram.Binned(low: histogram.edges.first ?? 0, high: histogram.edges.last ?? 0, nonFinite: histogram.nonFinite)
                }
                json.number(binned.low.isFinite ? binned.low : 0)
                json.literal(",\"high\":")
                json.number(binned.high.isFinite ? binned.high : 0)
                json.literal(",\"counts\":")
                json.integers(counts)
                // Values that were not binned, only when there are any.
                for (key, count) in [("nan", binned.nonFinite.nan), ("inf", binned.nonFinite.positiveInfinity), ("-inf", binned.nonFinite.negativeInfinity)] where count > 0 {
                    json.raw(",")
                    json.string(key)
                    json.raw(":")
                    json.number(Double(count))
                }
                json.raw("}")
            }
            json.raw("}")
            histograms.append((step, json.text))
            start = end
        }
    }

    private static func bin(_ values: ArraySlice<Float>, bins: Int, into counts: inout [Int]) -> Histogram.Binned {
        resize(&counts, to: bins)
        return values.withUnsafeBufferPointer { values in counts.withUnsafeMutableBufferPointer { Histogram.bin(values, into: $0) } }
    }

    private static func bin(_ values: [Double], bins: Int, into counts: inout [Int]) -> Histogram.Binned {
        resize(&counts, to: bins)
        return values.withUnsafeBufferPointer { values in counts.withUnsafeMutableBufferPointer { Histogram.bin(values, into: $0) } }
    }

    private static func resize(_ counts: inout [Int], to bins: Int) {
        let count = Swift.max(bins, 1)
        if counts.count != count { counts = [Int](repeating: 0, count: count) }
    }

    /// Rows grouped by step, groups in the order first seen (logging is nearly always in step order).
    private func groupedByStep<Row>(_ rows: [Row], step: (Row) -> Int) -> [(step: Int, rows: [Row])] {
        var groups: [(step: Int, rows: [Row])] = []
        var index: [Int: Int] = [:]
        for row in rows {
            let s = step(row)
            if let i = index[s] {
                groups[i].rows.append(row)
            } else {
                index[s] = groups.count
                groups.append((s, [row]))
            }
        }
        return groups
    }
}

extension MetricSummary {
    /// Folds in the summary of values logged later or at other steps: the last value is the one at
    /// the greater step (the later one on a tie), min and max of both, counts added.
    mutating func fold(_ other: MetricSummary) {
        if other.lastStep >= lastStep { last = other.last; lastStep = other.lastStep }
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
        count += other.count
    }
}

/// Writes prepared rows in the writer's transaction.
enum RunWriter {
    /// Inserts `rows` and upserts their summaries.
    static func insert(_ rows: PreparedRows, run: String, db: any StoreTransaction) throws {
        let runID = StoreValue.text(run)
        try db.insert(into: "history", columns: ["run_id", "step", "time", "data"],
                      rows: rows.history.map { [runID, .integer(Int64($0.step)), .real($0.time), .text($0.json)] }, suffix: "")
        // SQL keeps ±infinity; NaN, and a min/max never set (every value NaN), as NULL.
        let summaries = rows.summaries.map { key, s -> [StoreValue] in
            let unset = s.min == .infinity && s.max == -.infinity
            return [runID, .text(key), s.last.isNaN ? .null : .real(s.last), .integer(Int64(s.lastStep)),
                    unset ? .null : .real(s.min), unset ? .null : .real(s.max), .integer(Int64(s.count))]
        }
        try db.insert(into: "summary", columns: ["run_id", "key", "last", "last_step", "min", "max", "count"], rows: summaries, suffix: """
            ON CONFLICT (run_id, key) DO UPDATE SET
                last = CASE WHEN excluded.last_step >= summary.last_step THEN excluded.last ELSE summary.last END,
                last_step = \(db.dialect.greatest("summary.last_step", "excluded.last_step")),
                min = CASE WHEN summary.min IS NULL OR excluded.min < summary.min THEN excluded.min ELSE summary.min END,
                max = CASE WHEN summary.max IS NULL OR excluded.max > summary.max THEN excluded.max ELSE summary.max END,
                count = summary.count + excluded.count
            """)
        try db.insert(into: "histogram", columns: ["run_id", "step", "data"],
                      rows: rows.histograms.map { [runID, .integer(Int64($0.step)), .text($0.json)] }, suffix: "")
        try db.insert(into: "system_metric", columns: ["run_id", "time", "key", "value"],
                      rows: rows.system.map { [runID, .real($0.time), .text($0.key), $0.value.isNaN ? .null : .real($0.value)] }, suffix: "")
    }

    /// Refreshes the heartbeat to `now`, and when `end` is given sets the final state, error
    /// message and end time.
    static func update(run: String, now: Double, end: (state: RunState, error: String?)?, db: any StoreTransaction) throws {
        if let end {
            try db.execute("UPDATE run SET state = ?, error = ?, ended_at = ?, heartbeat_at = ? WHERE id = ?", end.state.rawValue, end.error, now, now, run)
        } else {
            try db.execute("UPDATE run SET heartbeat_at = ? WHERE id = ?", now, run)
        }
    }
}
