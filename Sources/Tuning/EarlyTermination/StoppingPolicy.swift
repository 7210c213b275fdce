/// The objective's values that one run of an earlier trial logged, epoch by epoch.
public struct EarlierRun: Sendable, Equatable {
    /// The trial's number in the sweep.
    public var trial: Int
    /// The objective's value after each epoch, in order (non-finite values included).
    public var values: [Double]

    public init(trial: Int, values: [Double]) {
        self.trial = trial
        self.values = values
    }
}

/// An early-termination policy: judges a running trial's objective values, after each epoch,
/// against the runs of earlier trials (those before it by more than the sweep's lag, which have
/// all ended when it starts), so that its verdicts are the same at any parallelism.
public protocol StoppingPolicy: Sendable {
    /// Which way the objective is better; the sweep's objective must go the same way.
    var direction: Objective.Direction { get }
    /// Why the run of `trial` with `history` (its values so far, the last one just logged) should
    /// stop now, or nil to let it go on.
    func stopReason(trial: Int, history: [Double], earlier: [EarlierRun]) -> String?
    /// One line for the sweep's header ("ASHA at 1, 3, 9 … epochs").
    var summary: String { get }
    /// What determines the verdicts, for the sweep's spec hash.
    var signature: [String] { get }
}

/// The early-termination policies a sweep or a tuner can use.
public enum EarlyTermination: Sendable, Equatable {
    /// W&B's `early_terminate: {type: hyperband}` rule (`WandbHyperband`).
    case wandbHyperband(WandbHyperband)
    /// Asynchronous successive halving, ASHA (Li et al., MLSys 2020), in its stopping form.
    case asha(ASHA)
    /// Hyperband's brackets (Li et al., JMLR 2018), each run asynchronously as ASHA.
    case hyperband(AsyncHyperband)

    /// The policy itself.
    public var policy: any StoppingPolicy {
        switch self {
        case .wandbHyperband(let rule): return rule
        case .asha(let rule): return rule
        case .hyperband(let rule): return rule
        }
    }
}

extension Objective.Direction {
    /// `value` turned so that smaller is better.
    func oriented(_ value: Double) -> Double { self == .maximize ? -value : value }
}
