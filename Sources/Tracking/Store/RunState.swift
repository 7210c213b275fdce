/// How a run stands (the `state` column of the `run` table).
public enum RunState: String, Sendable, Codable, CaseIterable {
    /// Logging, as far as the store knows.
    case running
    /// Ended by `Run.finish()`.
    case finished
    /// Ended by `Run.fail(_:)`, with its error (training threw, a write failed …).
    case failed
    /// Stored as running, but its process is gone or its heartbeat is older than the store's
    /// `staleAfter` (never stored: it is what a reader sees).
    case crashed
}

/// How a sweep stands (the `state` column of the `sweep` table).
public enum SweepState: String, Sendable, Codable, CaseIterable {
    /// Trials may still be claimed.
    case running
    /// Every trial ended and there are no more to run.
    case finished
    /// A target, a run cap or Ctrl-C ended it; `temper sweep resume` goes on.
    case stopped
}

extension RawRepresentable where RawValue == String, Self: CaseIterable {
    /// The stored value as this enum, or `TrackingError.incompatibleStore` naming what was found.
    static func stored(_ value: String, of what: String) throws -> Self {
        guard let known = Self(rawValue: value) else {
            let known = allCases.map(\.rawValue).joined(separator: ", ")
            throw TrackingError.incompatibleStore("\(what) has state \"\(value)\", which this Temper does not know (\(known)); the store may be from a newer Temper")
        }
        return known
    }
}
