/// Errors of search spaces, specs, tuners and sweeps. Messages name the parameter, key or line,
/// the values involved, and the fix.
public enum TuningError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A hyperparameter or distribution that cannot be sampled (min > max, log of a non-positive
    /// bound, unknown distribution …).
    case invalidParameter(String)
    /// A sweep or train spec (YAML) that is malformed.
    case invalidSpec(String)
    /// A search that cannot go on (grid over a continuous parameter, no trials …).
    case invalidSearch(String)
    /// A trial that failed (its error), or an objective it did not report.
    case trialFailed(String)
    /// A sweep that does not exist or cannot be resumed.
    case unknownSweep(String)
    /// A train spec's training whose loss became NaN or infinite (with what to change in the spec).
    case diverged(String)

    public var description: String {
        switch self {
        case .invalidParameter(let m): return "invalid hyperparameter: \(m)"
        case .invalidSpec(let m): return "invalid spec: \(m)"
        case .invalidSearch(let m): return "invalid search: \(m)"
        case .trialFailed(let m): return "trial failed: \(m)"
        case .unknownSweep(let m): return "unknown sweep: \(m)"
        case .diverged(let m): return m
        }
    }
}
