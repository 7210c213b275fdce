import Foundation
import Models
import Runtime
import Tracking

/// The executions of a group of claimed trials, trained as the trials of one compiled program
/// wherever their models compile alike (`Sequential.fitTogether`; vectorized trials): each
/// execution is still its own run, with the history, weights and score it has trained alone.
struct TrialsTogether {
    /// One execution of one of the group's trials, built and ready to train.
    struct Member {
        /// The trial's index in the group.
        let trial: Int
        let execution: Int
        let model: Sequential
        /// The run's config (the trial's values and the `temper` record).
        let config: RunConfig
    }

    let sweep: Sweep
    let claims: [TrialClaim]
    let tracker: Tracker
    let logHistograms: Bool
    let keepsWeights: Bool
    let control: TrialControl
    let tags: [String]

    /// Groups of members whose models compile to one program, in order (each member joins the
    /// first group it can train with), at most `Session.maximumTrials` to a group.
    static func programs(_ models: [Sequential]) -> [[Int]] {
        var groups: [[Int]] = []
        for (i, model) in models.enumerated() {
            if let g = groups.firstIndex(where: { $0.count < Session.maximumTrials && Sequential.canFitTogether([models[$0[0]], model]) }) {
                groups[g].append(i)
            } else {
                groups.append([i])
            }
        }
        return groups
    }

    /// Trains `members`, each program's members with one call of `fit` (the members and each one's
    /// callbacks; one result per member), and returns per member its finished execution or the
    /// error that ended it, and its share of the seconds its program took.
    func train(_ members: [Member], fit: ([Member], [[Callback]]) throws -> [Result<History, Error>]) -> [(Result<TrialRuns.Execution, Error>, Double)] {
        var ends: [(Result<TrialRuns.Execution, Error>, Double)?] = Array(repeating: nil, count: members.count)
        for program in Self.programs(members.map(\.model)) {
            // Stopped (Ctrl-C): the programs not begun start no run; their trials run again on resume.
            guard !control.isStopRequested else {
                for i in program { ends[i] = (.failure(TrialInterrupted()), 0) }
                continue
            }
            let clock = Date()
            var started: [Int: TrialRuns.Started] = [:]
            for i in program {
                do {
                    started[i] = try start(members[i])
                } catch {
                    ends[i] = (.failure(error), 0)
                }
            }
            let training = program.filter { started[$0] != nil }
            guard !training.isEmpty else { continue }
            let results: [Result<History, Error>]
            do {
                results = try fit(training.map { members[$0] }, training.map { started[$0]?.callbacks ?? [] })
            } catch {
                // The program failed as a whole, before its callbacks heard of it: its runs end failed.
                for i in training { try? started[i]?.run.fail("\(error)", wait: false) }
                results = training.map { _ in .failure(error) }
            }
            let seconds = Date().timeIntervalSince(clock), share = seconds / Double(training.count)
            for (i, result) in zip(training, results) {
                guard let run = started[i] else { continue }
                ends[i] = (Result { try TrialRuns.finish(run, history: try result.get(), seconds: seconds, in: sweep, control: control) }, share)
            }
        }
        return ends.map { $0 ?? (.failure(TuningError.trialFailed("the execution was not trained")), 0) }
    }

    /// Each trial's executions (in execution order) from what `train` gave its members, with the
    /// trial's seconds; a trial whose execution failed gets the first such error.
    func byTrial(_ members: [Member], _ ends: [(Result<TrialRuns.Execution, Error>, Double)]) -> [Result<(executions: [TrialRuns.Execution], seconds: Double), Error>] {
        claims.indices.map { trial in
            let mine = zip(members, ends).filter { $0.0.trial == trial }.sorted { $0.0.execution < $1.0.execution }
            let seconds = mine.map(\.1.1).reduce(0, +)
            return Result { (try mine.map { try $0.1.0.get() }, seconds) }
        }
    }

    private func start(_ member: Member) throws -> TrialRuns.Started {
        try TrialRuns.start(member.execution, of: claims[member.trial].trial, in: sweep, config: member.config, tracker: tracker,
                            logHistograms: logHistograms, keepsWeights: keepsWeights, control: control, tags: tags)
    }
}
