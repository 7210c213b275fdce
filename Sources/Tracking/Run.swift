import Charts
import Foundation
import GRDB

/// A run being recorded: metrics by step, histograms, system metrics, and its state.
///
/// Logging only appends to memory; a background thread writes what was logged at least every
/// `flushInterval` (one second by default) in one short transaction, refreshes the heartbeat and
/// samples system metrics. So a process killed at any moment loses at most the last second, and a
/// run whose heartbeat stops is shown as `crashed`.
public final class Run: @unchecked Sendable {
    public let id: String
    public let project: String
    public let name: String
    public let store: RunStore

    private let lock = NSLock()
    private var pendingMetrics: [(step: Int, key: String, value: Double)] = []
    private var pendingHistograms: [(step: Int, name: String, histogram: Histogram)] = []
    private var pendingSystem: [(time: Double, key: String, value: Double)] = []
    private var ended = false
    private var backgroundError: Error?
    private var worker: Thread?
    private let flushInterval: TimeInterval
    private let heartbeatInterval: TimeInterval
    private let systemMetricsInterval: TimeInterval?
    private let stopped = NSCondition()
    private let sampler = SystemMetricsSampler()
    private var stopRequested = false

    init(id: String, project: String, name: String, store: RunStore, flushInterval: TimeInterval,
         heartbeatInterval: TimeInterval, systemMetricsInterval: TimeInterval?) {
        self.id = id
        self.project = project
        self.name = name
        self.store = store
        self.flushInterval = flushInterval
        self.heartbeatInterval = heartbeatInterval
        self.systemMetricsInterval = systemMetricsInterval
        let thread = Thread { [weak self] in self?.backgroundLoop() }
        thread.name = "temper-run-\(id)"
        worker = thread
        thread.start()
    }

    deinit {
        stopWorker()
    }

    /// Records metric values at a step (an epoch, a batch …). Non-finite values are kept (as NaN).
    public func log(_ values: [String: Double], step: Int) {
        lock.lock()
        for (key, value) in values { pendingMetrics.append((step, key, value)) }
        lock.unlock()
    }

    /// Records the histogram of `values` under `name` at a step (`bins` equal-width bins over their range).
    public func logHistogram<S: Sequence>(name: String, values: S, step: Int, bins: Int = 64) where S.Element: BinaryFloatingPoint {
        logHistogram(name: name, histogram: Histogram(of: values, bins: bins), step: step)
    }

    /// Records a ready-made histogram.
    public func logHistogram(name: String, histogram: Histogram, step: Int) {
        lock.lock()
        pendingHistograms.append((step, name, histogram))
        lock.unlock()
    }

    func logSystem(_ values: [String: Double], at time: Double) {
        lock.lock()
        for (key, value) in values { pendingSystem.append((time, key, value)) }
        lock.unlock()
    }

    /// Writes everything logged so far, and the heartbeat, in one transaction.
    public func flush() throws {
        lock.lock()
        let metrics = pendingMetrics, histograms = pendingHistograms, system = pendingSystem
        pendingMetrics = []
        pendingHistograms = []
        pendingSystem = []
        lock.unlock()
        let now = Date().timeIntervalSince1970
        do {
            try store.write { db in
                try RunWriter.insert(metrics: metrics, histograms: histograms, system: system, run: id, db: db)
                try db.execute(sql: "UPDATE run SET heartbeat_at = ? WHERE id = ?", arguments: [now, id])
            }
        } catch {
            // Put the rows back so a later flush can write them.
            lock.lock()
            pendingMetrics = metrics + pendingMetrics
            pendingHistograms = histograms + pendingHistograms
            pendingSystem = system + pendingSystem
            lock.unlock()
            throw error
        }
    }

    /// Marks the run finished (after writing what is pending).
    public func finish() throws {
        try end(state: "finished", error: nil)
    }

    /// Marks the run failed with `message` (after writing what is pending).
    public func fail(_ message: String) throws {
        try end(state: "failed", error: message)
    }

    private func end(state: String, error message: String?) throws {
        lock.lock()
        let already = ended
        ended = true
        lock.unlock()
        guard !already else { return }
        stopWorker()
        if systemMetricsInterval != nil { logSystem(sampler.sample(), at: Date().timeIntervalSince1970) }
        try flush()
        let now = Date().timeIntervalSince1970
        try store.write { db in
            try db.execute(sql: "UPDATE run SET state = ?, error = ?, ended_at = ?, heartbeat_at = ? WHERE id = ?",
                           arguments: [state, message, now, now, id])
        }
        if let backgroundError { throw backgroundError }
    }

    private func stopWorker() {
        stopped.lock()
        stopRequested = true
        stopped.broadcast()
        stopped.unlock()
        while let worker, !worker.isFinished, !Thread.current.isEqual(worker) { usleep(1000) }
        worker = nil
    }

    private func backgroundLoop() {
        var lastFlush = Date().timeIntervalSince1970, lastHeartbeat = lastFlush, lastSample = 0.0
        if systemMetricsInterval != nil { logSystem(sampler.sample(), at: lastFlush) }
        while true {
            stopped.lock()
            if !stopRequested { _ = stopped.wait(until: Date().addingTimeInterval(Swift.min(0.25, flushInterval))) }
            let stop = stopRequested
            stopped.unlock()
            if stop { return }
            let now = Date().timeIntervalSince1970
            if let interval = systemMetricsInterval, now - lastSample >= interval {
                lastSample = now
                logSystem(sampler.sample(), at: now)
            }
            lock.lock()
            let pending = !pendingMetrics.isEmpty || !pendingHistograms.isEmpty || !pendingSystem.isEmpty
            lock.unlock()
            if (pending && now - lastFlush >= flushInterval) || now - lastHeartbeat >= heartbeatInterval {
                do {
                    try flush()
                    lastFlush = now
                    lastHeartbeat = now
                } catch {
                    backgroundError = error
                }
            }
        }
    }
}

/// Inserts logged rows and keeps the per-metric summaries (last, min, max, count) up to date.
enum RunWriter {
    static func insert(metrics: [(step: Int, key: String, value: Double)], histograms: [(step: Int, name: String, histogram: Histogram)],
                       system: [(time: Double, key: String, value: Double)], run: String, db: Database) throws {
        if !metrics.isEmpty {
            let statement = try db.cachedStatement(sql: "INSERT INTO metric (run_id, step, key, value) VALUES (?, ?, ?, ?)")
            var summaries: [String: (last: Double, lastStep: Int, min: Double, max: Double, count: Int)] = [:]
            for m in metrics {
                try statement.execute(arguments: [run, m.step, m.key, m.value.isNaN ? nil : m.value])
                var s = summaries[m.key] ?? (m.value, m.step, .infinity, -.infinity, 0)
                if m.step >= s.lastStep { s.last = m.value; s.lastStep = m.step }
                if !m.value.isNaN { s.min = Swift.min(s.min, m.value); s.max = Swift.max(s.max, m.value) }
                s.count += 1
                summaries[m.key] = s
            }
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO summary (run_id, key, last, last_step, min, max, count) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, key) DO UPDATE SET
                    last = CASE WHEN excluded.last_step >= summary.last_step THEN excluded.last ELSE summary.last END,
                    last_step = MAX(summary.last_step, excluded.last_step),
                    min = CASE WHEN summary.min IS NULL OR excluded.min < summary.min THEN excluded.min ELSE summary.min END,
                    max = CASE WHEN summary.max IS NULL OR excluded.max > summary.max THEN excluded.max ELSE summary.max END,
                    count = summary.count + excluded.count
                """)
            for (key, s) in summaries {
                try upsert.execute(arguments: [run, key, s.last.isNaN ? nil : s.last, s.lastStep,
                                               s.min.isFinite || s.min == -.infinity ? s.min : nil, s.max.isFinite || s.max == .infinity ? s.max : nil, s.count])
            }
        }
        if !histograms.isEmpty {
            let statement = try db.cachedStatement(sql: "INSERT INTO histogram (run_id, step, name, low, high, counts) VALUES (?, ?, ?, ?, ?, ?)")
            for h in histograms {
                let low = h.histogram.edges.first ?? 0, high = h.histogram.edges.last ?? 0
                try statement.execute(arguments: [run, h.step, h.name, low.isFinite ? low : 0, high.isFinite ? high : 0, countsText(h.histogram.counts)])
            }
        }
        if !system.isEmpty {
            let statement = try db.cachedStatement(sql: "INSERT INTO system_metric (run_id, time, key, value) VALUES (?, ?, ?, ?)")
            for s in system { try statement.execute(arguments: [run, s.time, s.key, s.value.isNaN ? nil : s.value]) }
        }
    }

    /// Counts as a JSON array of integers (`[3,0,12]`), written directly: it is on the logging path.
    static func countsText(_ counts: [Int]) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        bytes.reserveCapacity(counts.count * 4 + 2)
        var digits = [UInt8](repeating: 0, count: 20)
        for (i, count) in counts.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            var n = count, length = 0
            if n < 0 { bytes.append(UInt8(ascii: "-")); n = -n }
            repeat {
                digits[length] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                length += 1
            } while n > 0
            for k in stride(from: length - 1, through: 0, by: -1) { bytes.append(digits[k]) }
        }
        bytes.append(UInt8(ascii: "]"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The inverse of `countsText`.
    static func counts(from text: String) -> [Int] {
        text.dropFirst().dropLast().split(separator: ",").compactMap { Int($0) }
    }
}
