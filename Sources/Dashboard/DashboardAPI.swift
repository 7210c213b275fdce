import Foundation
import Tracking
import Tuning

/// The dashboard's JSON API over a run store opened read-only: every answer is computed from
/// the store as it is now, and nothing is ever written. Numbers that are not finite go out as
/// `null`. Query values come as `[name: [values]]` (a name may repeat, as `filter` does).
///
/// The runs are read once per change of the store (see `StoreWatch`) and kept: filtering,
/// sorting and paging 10,000 runs then takes milliseconds.
public final class DashboardAPI: @unchecked Sendable {
    public let store: RunStore
    let watch: StoreWatch
    private let lock = NSLock()
    private var cached: Snapshot?

    /// The runs as last read, with their columns and when they were read.
    struct Snapshot {
        var token: String
        var runs: [RunInfo]
        var columns: [String]
        var readAt: Double
    }

    /// Importance answers by sweep and scored trials.
    let importanceCache = AnswerCache()

    /// Where answers that take seconds are computed: a serial queue of its own (one at a time,
    /// on a thread that is not one of Swift's shared pool).
    let heavyWork = DispatchQueue(label: "temper.dashboard.heavy-work")

    /// How far back a refresh looks for changed runs, beyond the last read (writers' clocks may differ).
    static let refreshMargin = 10.0

    /// Rows a page of the runs table may ask for at most, and points a chart at most.
    public static let maxPageSize = 1000
    public static let maxPoints = 20_000

    public init(store: RunStore) {
        self.store = store
        watch = StoreWatch(store: store)
    }

    /// Changes whenever the store does (for server-sent events).
    public func changeToken() -> String { watch.token() }

    /// Reads the runs now, so that the first page opened answers from the cache (the first read
    /// of 10,000 runs takes about 0.3 s; `temper-dashboard` does it before it prints its address).
    public func warmUp() throws { _ = try snapshot() }

    /// Every run, from the cache while the store is unchanged.
    func allRuns() throws -> [RunInfo] { try snapshot().runs }

    /// Every column a runs table may show (metrics, their `.min`/`.max`, `config.` keys), cached likewise.
    func availableColumns() throws -> [String] { try snapshot().columns }

    /// The runs, read whole the first time; after a change only the runs that may have changed
    /// (running, or created, ended or heartbeating since the last read) are read again, and the
    /// whole store only when runs were deleted.
    private func snapshot() throws -> (runs: [RunInfo], columns: [String]) {
        let token = watch.token()
        lock.lock()
        let previous = cached
        lock.unlock()
        if let previous, previous.token == token { return (previous.runs, previous.columns) }
        let now = store.now()
        var fresh: Snapshot?
        if let previous {
            let changed = try store.runs(changedSince: previous.readAt - Self.refreshMargin)
            var runs = previous.runs
            var position = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($1.id, $0) })
            var added = false
            for run in changed {
                if let index = position[run.id] { runs[index] = run } else { position[run.id] = runs.count; runs.append(run); added = true }
            }
            if runs.count == (try store.runCount()) {
                if added { runs.sort { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) } }
                let columns = Set(previous.columns).isSuperset(of: Self.columns(of: changed)) ? previous.columns : Self.columns(of: runs)
                fresh = Snapshot(token: token, runs: runs, columns: columns, readAt: now)
            }
        }
        if fresh == nil {
            let runs = try store.runs()
            fresh = Snapshot(token: token, runs: runs, columns: Self.columns(of: runs), readAt: now)
        }
        lock.lock()
        cached = fresh
        lock.unlock()
        return (fresh?.runs ?? [], fresh?.columns ?? [])
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }

    static func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }

    /// A whole number query value within `range`, or `fallback` when absent.
    static func integer(_ query: [String: [String]], _ name: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = query[name]?.last else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw DashboardError.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text.prefix(40))\"")
        }
        return value
    }

    /// The run with this id (or unique prefix, or name), as a 404 when there is none.
    func run(_ id: String) throws -> RunInfo {
        do {
            return try store.run(id)
        } catch TrackingError.unknownRun(let message) {
            throw Self.unknown("run", id, message)
        }
    }

    /// A 404 for an id that names no run or sweep (without the store's path), or several.
    static func unknown(_ kind: String, _ id: String, _ message: String) -> DashboardError {
        guard message.hasPrefix("no \(kind)") else { return .notFound(message) }  // several: it lists their ids
        return .notFound("no \(kind) \"\(id.prefix(80))\" in this store (an id, a unique prefix of one, or a name); the \(kind)s page lists them")
    }
}

/// Answers kept by key (the last 32).
final class AnswerCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(key: String, value: Data)] = []

    func value(_ key: String) -> Data? {
        lock.lock()
        defer { lock.unlock() }
        return entries.first { $0.key == key }?.value
    }

    func set(_ key: String, _ value: Data) {
        lock.lock()
        defer { lock.unlock() }
        entries.removeAll { $0.key == key }
        entries.append((key, value))
        if entries.count > 32 { entries.removeFirst() }
    }
}
