import Foundation
import Tracking
import Tuning

/// `/api/sweeps…`: the sweeps, one sweep's trials, and its parameter importance.
extension DashboardAPI {
    struct SweepRow: Encodable {
        var id: String, name: String, project: String, method: String, state: String, createdAt: Double
        var trials: Int, scored: Int, best: Double?
    }

    /// `GET /api/sweeps?project=`: every sweep with its trial counts and best score.
    public func sweeps(_ query: [String: [String]]) throws -> Data {
        let project = query["project"]?.last.flatMap { $0.isEmpty ? nil : $0 }
        let rows = try store.sweeps(project: project).map { info -> SweepRow in
            let trials = try store.trials(info.id)
            let objective = Self.objective(info)
            let scores = trials.filter(Self.isScored).compactMap(\.score)
            let best = objective.flatMap { o in scores.reduce(nil as Double?) { b, x in b.map { o.isBetter(x, than: $0) ? x : $0 } ?? x } }
            return SweepRow(id: info.id, name: info.name, project: info.project, method: info.method, state: info.state.rawValue,
                            createdAt: info.createdAt, trials: trials.count, scored: scores.count, best: Self.finite(best))
        }
        return try Self.encode(rows)
    }

    struct SweepDetail: Encodable {
        var id: String, name: String, project: String, method: String, state: String, seed: UInt64
        var objective: String?, goal: String?
        var parameters: [String]
        var trials: [Trial]
        struct Trial: Encodable {
            var number: Int, state: String, score: Double?, error: String?, attempt: Int
            var config: [String: ConfigValue]
            var runs: [String]
        }
    }

    /// `GET /api/sweeps/{id}`: the sweep, its objective, and every trial (flat configuration,
    /// state, score, why it stopped or failed, its runs).
    public func sweepDetail(_ id: String) throws -> Data {
        let info = try sweepInfo(id)
        let trials = try store.trials(info.id)
        let objective = Self.objective(info)
        let parameters = Set(trials.flatMap { $0.config.flattened.map(\.key) }).sorted()
        let rows = trials.map { trial in
            SweepDetail.Trial(number: trial.number, state: trial.state.rawValue, score: Self.finite(trial.score), error: trial.error, attempt: trial.attempt,
                              config: Dictionary(trial.config.flattened.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }), runs: trial.runIDs)
        }
        return try Self.encode(SweepDetail(id: info.id, name: info.name, project: info.project, method: info.method, state: info.state.rawValue,
                                           seed: info.seed, objective: objective?.name, goal: objective?.direction.rawValue, parameters: parameters, trials: rows))
    }

    struct ImportanceRow: Encodable {
        var parameter: String, importance: Double, importanceLow: Double, importanceHigh: Double
        var correlation: Double?, varianceExplained: Double, varianceLow: Double, varianceHigh: Double
    }

    /// `GET /api/sweeps/{id}/importance`: `temper sweep importance` (random-forest importance,
    /// correlation, variance explained, 90% bootstrap intervals); `[]` before 5 scored trials.
    /// Computed once per set of scored trials (the forests take seconds on a thousand trials).
    public func importance(_ id: String) throws -> Data {
        let (key, scored) = try importanceInputs(id)
        return try cachedImportance(key, scored)
    }

    /// `importance(_:)` without holding Swift's shared threads: a cached answer comes at once;
    /// otherwise the forests grow on the API's own serial queue, so the server goes on answering
    /// everything else. A request waiting there reads the trials again when its turn comes, so
    /// requests queued while a sweep scores more trials all take the newest answer (computed once),
    /// not one stale answer each.
    public func importanceAnswer(_ id: String) async throws -> Data {
        let (key, _) = try importanceInputs(id)
        if let known = importanceCache.value(key) { return known }
        return try await withCheckedThrowingContinuation { continuation in
            heavyWork.async { continuation.resume(with: Result { try self.importance(id) }) }
        }
    }

    /// The sweep's scored trials, and the cache key that changes with them.
    private func importanceInputs(_ id: String) throws -> (key: String, scored: [TrialInfo]) {
        let info = try sweepInfo(id)
        let scored = try store.trials(info.id).filter { Self.isScored($0) && $0.score?.isFinite == true }
        // Every scored trial and its score: two trials that swap scores are another set.
        return (info.id + " " + scored.map { "\($0.number):\($0.score ?? 0)" }.joined(separator: ","), scored)
    }

    private func cachedImportance(_ key: String, _ scored: [TrialInfo]) throws -> Data {
        if let known = importanceCache.value(key) { return known }
        let answer = try computeImportance(scored)
        importanceCache.set(key, answer)
        return answer
    }

    private func computeImportance(_ scored: [TrialInfo]) throws -> Data {
        guard scored.count >= 5 else { return try Self.encode([ImportanceRow]()) }
        let flat = scored.map { (config: Dictionary($0.config.flattened.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }), score: $0.score ?? .nan) }
        let entries = try ParameterImportance.compute(flat)
        return try Self.encode(entries.map {
            ImportanceRow(parameter: $0.parameter, importance: $0.importance, importanceLow: $0.importanceInterval.lowerBound,
                          importanceHigh: $0.importanceInterval.upperBound, correlation: Self.finite($0.correlation), varianceExplained: $0.varianceExplained,
                          varianceLow: $0.varianceExplainedInterval.lowerBound, varianceHigh: $0.varianceExplainedInterval.upperBound)
        })
    }

    func sweepInfo(_ id: String) throws -> SweepInfo {
        do {
            return try store.sweep(id)
        } catch TrackingError.unknownRun(let message) {
            throw Self.unknown("sweep", id, message)
        }
    }

    static func isScored(_ trial: TrialInfo) -> Bool { trial.state == .finished || trial.state == .stopped }

    /// The sweep's objective from its stored spec.
    static func objective(_ info: SweepInfo) -> Objective? { StoredObjective.objective(spec: info.spec) }
}
