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
    private var cached: (token: String, runs: [RunInfo])?

    /// Rows a page of the runs table may ask for at most, and points a chart at most.
    public static let maxPageSize = 1000
    public static let maxPoints = 20_000

    public init(store: RunStore) {
        self.store = store
        watch = StoreWatch(path: store.path)
    }

    /// Changes whenever the store does (for server-sent events).
    public func changeToken() -> String { watch.token() }

    /// Every run, from the cache while the store is unchanged.
    func allRuns() throws -> [RunInfo] {
        let token = watch.token()
        lock.lock()
        if let cached, cached.token == token { lock.unlock(); return cached.runs }
        lock.unlock()
        let runs = try store.runs()
        lock.lock()
        cached = (token, runs)
        lock.unlock()
        return runs
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
        } catch let error as TrackingError {
            throw DashboardError.notFound("\(error)")
        }
    }
}
