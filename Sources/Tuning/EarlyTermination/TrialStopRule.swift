import Foundation
import Tracking

/// The early-termination policy as one run of a trial sees it: the run's objective values, epoch
/// by epoch, judged against the runs of the trials before it by more than the sweep's lag —
/// which have all ended when it starts (the lag rule), so the verdict is the same at any
/// parallelism and in any agent.
final class TrialStopRule: @unchecked Sendable {
    let policy: any StoppingPolicy
    let trial: Int
    let earlier: [EarlierRun]
    private(set) var values: [Double] = []
    /// Why the run was stopped, once it was.
    private(set) var reason: String?

    init(policy: any StoppingPolicy, trial: Int, earlier: [EarlierRun]) {
        self.policy = policy
        self.trial = trial
        self.earlier = earlier
    }

    /// Records the objective's value at the end of an epoch; true when the run should stop now.
    /// A run's last epoch is recorded but not judged: a run that trained to its end finished.
    func record(_ value: Double, isLast: Bool = false) -> Bool {
        values.append(value)
        guard reason == nil, !isLast, let why = policy.stopReason(trial: trial, history: values, earlier: earlier) else { return false }
        reason = why
        return true
    }
}

extension Sweep {
    /// A fresh stop rule for a run of `trial`, or nil without early termination.
    func stopRule(for trial: TrialInfo) throws -> TrialStopRule? {
        guard let termination = plan.earlyTermination else { return nil }
        let visible = try trials().filter { $0.number < trial.number - plan.lag }
        var earlier: [EarlierRun] = []
        for run in visible where run.state == .finished || run.state == .stopped {
            for runID in run.runIDs {
                let values = try store.history(runID, keys: [plan.objective.name])[plan.objective.name]?.map(\.value) ?? []
                earlier.append(EarlierRun(trial: run.number, values: values))
            }
        }
        return TrialStopRule(policy: termination.policy, trial: trial.number, earlier: earlier)
    }
}
