import Foundation
import Tracking

/// The early-termination rule as one run of a trial sees it: W&B's hyperband rule judging the
/// run's objective values, epoch by epoch, against the histories of the runs of the trials before
/// it by more than the sweep's lag — which have all ended when it starts (the lag rule), so the
/// decision is the same at any parallelism and in any agent.
final class TrialStopRule: @unchecked Sendable {
    let rule: WandbHyperband
    let others: [[Double]]
    private(set) var values: [Double] = []
    /// Why the run was stopped, once it was.
    private(set) var reason: String?

    init(rule: WandbHyperband, others: [[Double]]) {
        self.rule = rule
        self.others = others
    }

    /// Records the objective's value at the end of an epoch; true when the run should stop now.
    func record(_ value: Double) -> Bool {
        values.append(value)
        guard reason == nil, rule.shouldStop(values, histories: others + [values]) else { return false }
        let reached = values.filter(\.isFinite).count
        let band = rule.bands.last { $0 <= reached } ?? reached
        let threshold = rule.thresholds(others + [values])[rule.bands.lastIndex { $0 <= reached } ?? 0]
        let shown = rule.direction == .maximize ? -threshold : threshold
        reason = "stopped by hyperband after \(values.count) epoch\(values.count == 1 ? "" : "s"): at band \(band) the threshold was \(shown)"
        return true
    }
}

extension Sweep {
    /// A fresh stop rule for a run of `trial`, or nil without early termination.
    func stopRule(for trial: TrialInfo) throws -> TrialStopRule? {
        guard let rule = plan.earlyTermination else { return nil }
        let visible = try trials().filter { $0.number < trial.number - plan.lag }
        var histories: [[Double]] = []
        for earlier in visible where earlier.state == .finished || earlier.state == .stopped {
            for runID in earlier.runIDs {
                histories.append(try store.history(runID, keys: [plan.objective.name])[plan.objective.name]?.map(\.value) ?? [])
            }
        }
        return TrialStopRule(rule: rule, others: histories)
    }
}
