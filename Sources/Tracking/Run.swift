import Charts
import Foundation

/// A run being recorded: metrics by step, histograms, system metrics, and its state.
///
/// Logging only copies values into memory (no I/O, no thread wake-up). The run's writer thread
/// writes what was logged every `flushInterval` (half a second by default) in one short
/// transaction, bins histograms there, off the training thread, refreshes the heartbeat and samples
/// system metrics. So a process killed at any moment loses at most the last `flushInterval` plus
/// one write, and a run whose heartbeat stops is shown as `crashed`.
///
/// Reads of the store in the same process (`RunStore.runs`, `history` …) first wait for this
/// process's runs to write what they logged, so they always see it. At a normal process exit the
/// same happens; a run never finished keeps the state `running` until its heartbeat goes stale.
public final class Run: @unchecked Sendable {
    public let id: String
    public let project: String
    public let name: String
    public let store: RunStore

    /// Guards every variable below; the writer waits on it.
    private let condition = NSCondition()
    private var pending = PendingRows()
    private var writing = false
    /// How often the writer woke from waiting (it polls for rows rather than being signalled).
    private var wakeUps = 0
    var writerWakeUps: Int {
        condition.lock()
        defer { condition.unlock() }
        return wakeUps
    }
    /// True while the writer holds prepared rows it has not written.
    private var holdsPrepared = false
    private var flushRequested = false
    private var writeAttempts = 0
    /// Write rounds started and ended (a flush waits for the round after its request).
    private var writeRoundsStarted = 0
    private var writeRoundsEnded = 0
    private var lastFailure: Error?
    private var endRequest: (state: RunState, error: String?)?
    private var writerExited = false
    private var endFailure: Error?
    /// The run's row, until the writer has inserted it.
    private var registration: RunRecord?

    private let flushInterval: TimeInterval
    private let heartbeatInterval: TimeInterval
    private let systemMetricsInterval: TimeInterval?
    private let sampler = SystemMetricsSampler()
    private let buffers: FloatBufferPool
    /// Where a write that failed for good is recorded (the tracker's), and how it is told.
    private let failures: WriteFailures
    private let warn: @Sendable (String) -> Void

    init(record: RunRecord, store: RunStore, flushInterval: TimeInterval, heartbeatInterval: TimeInterval, systemMetricsInterval: TimeInterval?,
         buffers: FloatBufferPool, writers: WriterThreads, failures: WriteFailures, warn: @escaping @Sendable (String) -> Void) {
        self.buffers = buffers
        self.failures = failures
        self.warn = warn
        self.id = record.id
        self.project = record.project
        self.name = record.name
        self.store = store
        self.registration = record
        self.flushInterval = flushInterval
        self.heartbeatInterval = heartbeatInterval
        self.systemMetricsInterval = systemMetricsInterval
        LiveRuns.shared.insert(self)
        writers.run { [self] in writerLoop() }
    }

    /// Records metric values at a step (an epoch, a batch …). Non-finite values are kept. Values
    /// logged after `finish()` are not recorded.
    public func log(_ values: [String: Double], step: Int) {
        let time = Date().timeIntervalSince1970
        condition.lock()
        if endRequest == nil { pending.metrics.append(PendingMetrics(step: step, time: time, keys: Array(values.keys), values: Array(values.values))) }
        condition.unlock()
    }

    /// Records `values[i]` under `keys[i]` at a step, in this order (what `TrackingCallback` uses
    /// for `fit`'s `Logs`: the arrays are kept as they are, nothing is copied).
    public func log(keys: [String], values: [Double], step: Int) throws {
        guard keys.count == values.count else {
            throw TrackingError.invalidLog("run \(name) (\(id)) at step \(step): \(keys.count) keys but \(values.count) values; pass one value per key")
        }
        let time = Date().timeIntervalSince1970
        condition.lock()
        if endRequest == nil { pending.metrics.append(PendingMetrics(step: step, time: time, keys: keys, values: values)) }
        condition.unlock()
    }

    /// Records the histogram of `values` under `name` at a step (`bins` equal-width bins over the
    /// finite values' range). The values are copied now and binned by the writer.
    public func logHistogram<S: Sequence>(name: String, values: S, step: Int, bins: Int = 64) where S.Element: BinaryFloatingPoint {
        append(PendingHistograms(step: step, names: [name], sources: .each([PendingHistogram.Source(values)]), bins: bins))
    }

    /// Records the histograms of `values[i]` under `names[i]` at a step in one call (`bins` bins
    /// each) — what `TrackingCallback` does every epoch.
    public func logHistograms(names: [String], values: [[Float]], step: Int, bins: Int = 64) throws {
        guard names.count == values.count else {
            throw TrackingError.invalidLog("run \(name) (\(id)) at step \(step): \(names.count) histogram names but \(values.count) value arrays; pass one array per name")
        }
        append(PendingHistograms(step: step, names: names, sources: .each(values.map { .floats($0) }), bins: bins))
    }

    /// Records a ready-made histogram.
    public func logHistogram(name: String, histogram: Histogram, step: Int) {
        append(PendingHistograms(step: step, names: [name], sources: .each([.ready(histogram)]), bins: histogram.counts.count))
    }

    /// Records the histograms of consecutive parts of `values` at a step: `names[i]` of the next
    /// `counts[i]` values. `values` should come from `reusableBuffer()`: the writer gives it back
    /// to the pool once binned (what `TrackingCallback` does every epoch).
    func logHistograms(names: [String], concatenated values: [Float], counts: [Int], step: Int, bins: Int) throws {
        guard names.count == counts.count, counts.reduce(0, +) == values.count else {
            throw TrackingError.invalidLog("run \(name) (\(id)) at step \(step): \(names.count) histogram names, \(counts.count) counts summing to \(counts.reduce(0, +)), and \(values.count) values; pass one count per name, summing to the number of values")
        }
        append(PendingHistograms(step: step, names: names, sources: .concatenated(values, counts: counts), bins: bins))
    }

    /// An empty buffer from the tracker's pool (see `logHistograms(names:concatenated:counts:…)`).
    func reusableBuffer() -> [Float] { buffers.take() }

    private func append(_ histograms: PendingHistograms) {
        condition.lock()
        if endRequest == nil { pending.histograms.append(histograms) }
        condition.unlock()
    }

    /// Writes everything logged so far now and waits for it; throws the write error if it could
    /// not be written (the rows stay pending and are retried).
    public func flush() throws {
        condition.lock()
        defer { condition.unlock() }
        // The next write round takes every row logged until now; wait for it to end (not for
        // `pending` to empty: a run that logs all the time would never let a reader go on).
        let round = writeRoundsStarted + 1
        flushRequested = true
        condition.broadcast()
        while writeRoundsEnded < round && !writerExited { condition.wait() }
        if holdsPrepared, let lastFailure { throw lastFailure }
    }

    /// Marks the run finished after writing what is pending. With `wait` (the default) it returns
    /// once that is written; without, it returns at once and the writer finishes in the background
    /// (reads in this process and the process exit still wait for it) — what `TrackingCallback`
    /// does, so the next run can train meanwhile.
    public func finish(wait: Bool = true) throws {
        try end(state: .finished, error: nil, wait: wait)
    }

    /// Marks the run failed with `message`, after writing what is pending.
    public func fail(_ message: String, wait: Bool = true) throws {
        try end(state: .failed, error: message, wait: wait)
    }

    /// Waits until the writer has written the end of the run (after `finish(wait: false)`), and
    /// throws what the last write threw.
    public func waitUntilWritten() throws {
        condition.lock()
        while !writerExited { condition.wait() }
        let failure = endFailure
        condition.unlock()
        if let failure { throw failure }
    }

    /// Only the first `finish` or `fail` counts.
    private func end(state: RunState, error message: String?, wait: Bool) throws {
        condition.lock()
        let first = endRequest == nil && !writerExited
        if first {
            endRequest = (state, message)
            condition.broadcast()
        }
        condition.unlock()
        if wait && first { try waitUntilWritten() }
    }

    /// True once the run's end is written (or its last write failed for good).
    public var isWritten: Bool { !isLive }

    /// True while the writer has not written the run's end.
    var isLive: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !writerExited
    }

    /// Waits until what was logged so far is written: the end if it was requested, else a flush
    /// if anything is unwritten. (Nothing is written otherwise, so a reader in this process does
    /// not refresh the heartbeat of a run whose writer has stalled.)
    func settle() {
        condition.lock()
        let ending = endRequest != nil
        let unwritten = !pending.isEmpty || holdsPrepared || registration != nil || writing
        condition.unlock()
        if ending { try? waitUntilWritten() } else if unwritten { try? flush() }
    }

    // MARK: The writer

    /// How often the writer takes what was logged and prepares it (bins histograms, writes JSON)
    /// between writes while rows keep coming, so that the write at a flush or at the end is short:
    /// a run that ends waits for little more than its last transaction.
    private var prepareInterval: TimeInterval { Swift.min(flushInterval, 0.005) }

    /// How many times the write that ends a run is tried again after failing, a second apart.
    static let endRetries = 3

    /// The writer's clocks, between rounds.
    private struct WriterClock {
        var lastWrite: Double, lastHeartbeat = -Double.infinity, lastSample: Double, lastPrepare: Double
        var retryAfter = 0.0, idleWait: Double
        var endAttempts = 0
        /// True from a failed write to the next that succeeds: meanwhile transactions are small.
        var failing = false
        init(start: Double, idleWait: Double) {
            // The first write (registering the run) is due at once; the first system sample one
            // interval in (or at the end of a shorter run).
            lastWrite = start
            lastSample = start
            lastPrepare = start
            self.idleWait = idleWait
        }
    }

    private func writerLoop() {
        var clock = WriterClock(start: Date().timeIntervalSince1970, idleWait: prepareInterval)
        // Rows prepared but not yet written (kept, and retried in pieces, when a write fails).
        var queue = PreparedQueue()
        // What was logged, taken from `pending` in exchange for this (emptied) each round.
        var rows = PendingRows()
        condition.lock()
        while true {
            let (writing, now) = waitForWork(&clock)
            // Sampled at the interval, and once at the end (not again when the end is retried).
            let sampleDue = writing && (systemMetricsInterval.map { now - clock.lastSample >= $0 || (endRequest != nil && clock.endAttempts == 0) } ?? false)
            // Swapped, not copied: `pending` gets the arrays of the last round, emptied.
            swap(&pending, &rows)
            let end = endRequest
            holdsPrepared = true
            if writing {
                flushRequested = false
                self.writing = true
                writeRoundsStarted += 1
            }
            condition.unlock()
            // Reading /proc takes a while: never with the lock held, which `log` needs.
            if sampleDue {
                clock.lastSample = now
                for (key, value) in sampler.sample() { rows.system.append((now, key, value)) }
            }
            queue.append(PreparedRows(rows))
            buffers.give(rows.removeAllReturningBuffers())
            clock.lastPrepare = now
            guard writing else {
                condition.lock()
                continue
            }
            let failure = write(&queue, now: now, end: end, failing: clock.failing)
            condition.lock()
            if finishRound(failure: failure, queue: queue, now: now, end: end, clock: &clock) { return }
        }
    }

    /// With the lock held: sleeps until a write is due (unwritten rows older than the interval,
    /// the heartbeat, a sample), or a flush or the end is asked for, or rows are to be prepared.
    /// Returns whether to write, and the time.
    private func waitForWork(_ clock: inout WriterClock) -> (write: Bool, now: Double) {
        var now = Date().timeIntervalSince1970
        while endRequest == nil && !flushRequested {
            let flushDue = pending.isEmpty && !holdsPrepared ? Double.infinity : clock.lastWrite + flushInterval
            let due = Swift.max(clock.retryAfter, Swift.min(flushDue, clock.lastHeartbeat + heartbeatInterval,
                                                            systemMetricsInterval.map { clock.lastSample + $0 } ?? .infinity))
            if now >= due { return (true, now) }
            let prepareDue = pending.isEmpty ? Double.infinity : clock.lastPrepare + prepareInterval
            if now >= prepareDue { return (false, now) }
            // Rows logged while asleep do not wake the writer (that would cost the training
            // thread a system call): it looks again after `idleWait`, which doubles up to the
            // flush interval while nothing is logged and is short again once rows come.
            _ = condition.wait(until: Date(timeIntervalSince1970: Swift.min(due, prepareDue, now + clock.idleWait)))
            now = Date().timeIntervalSince1970
            wakeUps += 1
            clock.idleWait = pending.isEmpty ? Swift.min(clock.idleWait * 2, flushInterval) : prepareInterval
        }
        return (true, now)
    }

    /// Writes the queue in transactions of bounded size (one piece each while `failing`), the
    /// registration first, the heartbeat with each and the end with the last; stops at the first
    /// failure, keeping what was not written. Returns that failure.
    private func write(_ queue: inout PreparedQueue, now: Double, end: (state: RunState, error: String?)?, failing: Bool) -> Error? {
        repeat {
            let count = queue.batchSize(afterFailure: failing)
            let last = count == queue.pieces.count
            let register = registrationToWrite()
            do {
                try store.write { db in
                    try register?.insert(db)
                    for piece in queue.pieces.prefix(count) { try RunWriter.insert(piece, run: id, db: db) }
                    // The heartbeat by the store's clock (a server's, compared with other machines' claims).
                    try RunWriter.update(run: id, now: store.now(), end: last ? end : nil, db: db)
                }
            } catch {
                return error
            }
            queue.removeFirst(count)
            if register != nil { registrationWritten() }
        } while !queue.isEmpty
        return nil
    }

    private func registrationToWrite() -> RunRecord? {
        condition.lock()
        defer { condition.unlock() }
        return registration
    }

    private func registrationWritten() {
        condition.lock()
        registration = nil
        condition.unlock()
    }

    /// With the lock held, after a write: records its outcome, warns on the first failure, retries
    /// the end, or ends the writer. Returns true when the writer is done (the lock released).
    private func finishRound(failure: Error?, queue: PreparedQueue, now: Double, end: (state: RunState, error: String?)?, clock: inout WriterClock) -> Bool {
        writing = false
        holdsPrepared = !queue.isEmpty
        writeAttempts += 1
        writeRoundsEnded += 1
        lastFailure = failure
        clock.lastWrite = now
        if failure != nil, OpenStores.shared.closedForExit, queue.isEmpty, pending.isEmpty {
            // The process is exiting and only a heartbeat could not be written: what the run
            // logged was written before its stores closed, and a run left running is seen
            // `crashed` once the process is gone. (Rows logged after that still warn.)
            writerExited = true
            condition.broadcast()
            condition.unlock()
            LiveRuns.shared.remove(self)
            return true
        }
        if let failure {
            if !clock.failing { warn("cannot write run \(name) (\(id)) to \(store.path): \(store.engine.cause(of: failure)); keeping \(queue.unwrittenDescription) in memory and retrying every second") }
            clock.failing = true
            clock.retryAfter = now + 1
        } else {
            if clock.failing { warn("run \(name) (\(id)) is written to \(store.path) again") }
            clock.failing = false
            clock.lastHeartbeat = now
        }
        guard let end else {
            condition.broadcast()
            return false
        }
        if failure != nil, clock.endAttempts < Self.endRetries {
            // The last write failed (the store stayed locked past its busy timeout, the disk was
            // full …): try again before giving up on what is left.
            clock.endAttempts += 1
            condition.broadcast()
            condition.unlock()
            Thread.sleep(forTimeInterval: 1)
            condition.lock()
            return false
        }
        if let failure {
            let lost = TrackingError.writeFailed("run \(name) (\(id)) could not be written to \(store.path): \(store.engine.cause(of: failure)); \(queue.unwrittenDescription) were lost (earlier writes are not undone by this failure)")
            endFailure = lost
            failures.record(lost)
            warn("\(lost)")
            condition.unlock()
            markFailed(because: failure, end: end, now: now)
            condition.lock()
        }
        writerExited = true
        condition.broadcast()
        condition.unlock()
        LiveRuns.shared.remove(self)
        return true
    }

    /// After the last write failed for good: marks the run `failed` with the cause, if the store
    /// still takes that one small update (a reader on this machine sees the run `crashed` anyway
    /// once this process is gone).
    private func markFailed(because failure: Error, end: (state: RunState, error: String?), now: Double) {
        let message = "not all it logged could be written: \(store.engine.cause(of: failure))" + (end.error.map { "; then: \($0)" } ?? "")
        let register = registrationToWrite()
        _ = try? store.write { db in
            try register?.insert(db)
            let now = store.now()
            try db.execute("UPDATE run SET state = 'failed', error = ?, ended_at = ?, heartbeat_at = ? WHERE id = ?", message, now, now, id)
        }
    }
}

extension PendingHistogram.Source {
    /// Copies `values`; `[Float]` and `[Double]` are kept as they are.
    init<S: Sequence>(_ values: S) where S.Element: BinaryFloatingPoint {
        if let floats = values as? [Float] {
            self = .floats(floats)
        } else if let doubles = values as? [Double] {
            self = .doubles(doubles)
        } else {
            self = .doubles(values.map { Double($0) })
        }
    }
}

/// The runs of this process whose writer has not written their end, so that reads of the store
/// and a normal process exit first wait for what they logged.
final class LiveRuns: @unchecked Sendable {
    static let shared = LiveRuns()
    private let lock = NSLock()
    private var runs: [ObjectIdentifier: Run] = [:]

    private init() {
        atexit {
            LiveRuns.shared.settle(storePath: nil)
            OpenStores.shared.closeAll()
        }
    }

    func insert(_ run: Run) {
        lock.lock()
        runs[ObjectIdentifier(run)] = run
        lock.unlock()
    }

    func remove(_ run: Run) {
        lock.lock()
        runs[ObjectIdentifier(run)] = nil
        lock.unlock()
    }

    /// Waits for the live runs of the store at `storePath` (all stores when nil).
    func settle(storePath: String?) {
        lock.lock()
        let live = runs.values.filter { run in storePath.map { run.store.path == $0 } ?? true }
        lock.unlock()
        for run in live { run.settle() }
    }
}
