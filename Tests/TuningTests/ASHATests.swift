import Testing
@testable import Tuning

/// ASHA and the bracketed (asynchronous) Hyperband policy, against values worked out by hand
/// from the papers' rules.
struct ASHATests {
    func runs(_ values: [Double], trialsFrom first: Int = 0) -> [EarlierRun] {
        values.enumerated().map { EarlierRun(trial: first + $0.offset, values: [$0.element]) }
    }

    @Test func rungsGrowByEtaFromTheMinimumEarlyStoppingRate() throws {
        #expect(try ASHA(minIter: 1, eta: 3, maxIter: 81, direction: .minimize).rungs == [1, 3, 9, 27])
        #expect(try ASHA(minIter: 1, eta: 3, minEarlyStoppingRate: 1, maxIter: 81, direction: .minimize).rungs == [3, 9, 27])
        #expect(try ASHA(minIter: 2, eta: 2, maxIter: 20, direction: .minimize).rungs == [2, 4, 8, 16])
        #expect(try ASHA(minIter: 1, eta: 1.5, maxIter: 6, direction: .minimize).rungs == [1, 2, 3, 5])  // 1, 1.5, 2.25, 3.4, 5.1
        #expect(try ASHA(minIter: 1, eta: 3, minEarlyStoppingRate: 4, maxIter: 81, direction: .minimize).rungs.isEmpty)
        #expect(try ASHA(minIter: 5, direction: .maximize).rungs.prefix(3) == [5, 15, 45])
        #expect(throws: TuningError.self) { try ASHA(minIter: 0, direction: .minimize) }
        #expect(throws: TuningError.self) { try ASHA(eta: 1, direction: .minimize) }
        #expect(throws: TuningError.self) { try ASHA(eta: .nan, direction: .minimize) }
        #expect(throws: TuningError.self) { try ASHA(minEarlyStoppingRate: -1, direction: .minimize) }
        #expect(throws: TuningError.self) { try ASHA(maxIter: 0, direction: .minimize) }
    }

    @Test func aRunGoesOnWhenAmongTheBestFractionOfItsRung() throws {
        let rule = try ASHA(minIter: 1, eta: 3, maxIter: 9, direction: .minimize)
        let earlier = runs([0.5, 0.4, 0.3, 0.2, 0.1])
        // Six values at rung 1, the best ⌊6/3⌋ = 2 go on: 0.1 and the next.
        #expect(rule.stopReason(trial: 9, history: [0.25], earlier: earlier)?.contains("not among the best 2 of 6 (threshold 0.2)") == true)
        #expect(rule.stopReason(trial: 9, history: [0.15], earlier: earlier) == nil)
        #expect(rule.stopReason(trial: 9, history: [0.2], earlier: earlier) == nil)  // a tie goes on
        // Not at a rung (epoch 2): no verdict, whatever the value.
        #expect(rule.stopReason(trial: 9, history: [0.15, 99], earlier: earlier) == nil)
        // Maximized: the same values mirrored.
        let up = try ASHA(minIter: 1, eta: 3, maxIter: 9, direction: .maximize)
        let mirrored = runs([-0.5, -0.4, -0.3, -0.2, -0.1])
        #expect(up.stopReason(trial: 9, history: [-0.15], earlier: mirrored) == nil)
        #expect(up.stopReason(trial: 9, history: [-0.25], earlier: mirrored)?.contains("threshold -0.2") == true)
    }

    @Test func theBestSoFarAlwaysGoesOnAndNonNumbersStop() throws {
        let rule = try ASHA(minIter: 1, eta: 3, direction: .minimize)
        #expect(rule.stopReason(trial: 0, history: [7], earlier: []) == nil)  // alone: the best of 1
        #expect(rule.stopReason(trial: 1, history: [7], earlier: runs([6])) != nil)  // ⌊2/3⌋ → 1 goes on: the 6
        #expect(rule.stopReason(trial: 1, history: [5], earlier: runs([6])) == nil)
        #expect(rule.stopReason(trial: 1, history: [.nan], earlier: runs([6]))?.contains("the value was nan") == true)
        // Earlier non-numbers and runs that ended before the rung are not counted: alone again.
        let ended = [EarlierRun(trial: 0, values: [.nan]), EarlierRun(trial: 1, values: [])]
        #expect(rule.stopReason(trial: 2, history: [100], earlier: ended) == nil)
    }

    @Test func hyperbandDealsTrialsInThePapersProportions() throws {
        let policy = try AsyncHyperband(minIter: 1, maxIter: 81, eta: 3, direction: .minimize)
        #expect(policy.weights == [81, 34, 15, 8, 5])
        #expect(policy.brackets.map(\.rungs) == [[1, 3, 9, 27], [3, 9, 27], [9, 27], [27], []])
        let dealt = (0..<143).map(policy.bracket(of:))
        #expect((0..<5).map { b in dealt.filter { $0 == b }.count } == [81, 34, 15, 8, 5])
        #expect((143..<286).map(policy.bracket(of:)) == dealt)  // the cycle repeats
        // Interleaved, not in blocks: every bracket has a trial among the first 30.
        #expect(Set(dealt.prefix(30)) == [0, 1, 2, 3, 4])
        // min_iter scales the rungs and R = ⌊max_iter/min_iter⌋ = 9 gives three brackets.
        let scaled = try AsyncHyperband(minIter: 2, maxIter: 18, eta: 3, direction: .minimize)
        #expect(scaled.brackets.map(\.rungs) == [[2, 6], [6], []] && scaled.weights == [9, 5, 3])
        #expect(throws: TuningError.self) { try AsyncHyperband(minIter: 5, maxIter: 4, direction: .minimize) }
        #expect(throws: TuningError.self) { try AsyncHyperband(maxIter: 81, eta: 1, direction: .minimize) }
        #expect(throws: TuningError.self) { try AsyncHyperband(maxIter: 1_000_000, eta: 2, direction: .minimize) }
    }

    @Test func hyperbandRanksARunOnlyAgainstItsOwnBracket() throws {
        let policy = try AsyncHyperband(minIter: 1, maxIter: 9, eta: 3, direction: .minimize)
        let trials = (0..<40).map { ($0, policy.bracket(of: $0)) }
        let zero = trials.filter { $0.1 == 0 }.map(\.0), other = trials.filter { $0.1 != 0 }.map(\.0)
        let judged = try #require(zero.last)
        // Much better runs in other brackets do not count; in bracket 0 the run is the best.
        let earlier = other.map { EarlierRun(trial: $0, values: [0.0, 0.0, 0.0]) } + zero.dropLast().map { EarlierRun(trial: $0, values: [9.0]) }
        #expect(policy.stopReason(trial: judged, history: [1], earlier: earlier) == nil)
        // The same run in a bracket-0 company of better runs is stopped at rung 1.
        let better = zero.dropLast().map { EarlierRun(trial: $0, values: [0.5]) }
        #expect(policy.stopReason(trial: judged, history: [1], earlier: better)?.contains("stopped by hyperband bracket 0 at rung 1") == true)
        // The last bracket never stops.
        let last = try #require(trials.first { $0.1 == policy.brackets.count - 1 }).0
        #expect((1...9).allSatisfy { policy.stopReason(trial: last, history: Array(repeating: 99, count: $0), earlier: better) == nil })
    }

    @Test func aPolicyMadeForTheOtherDirectionIsRefused() throws {
        let space = try SearchSpace([SearchParameter(name: "units", distribution: IntHyperparameter(name: "units", min: 4, max: 8, step: 4))])
        #expect(throws: TuningError.self) {
            try SweepPlan(project: "p", name: "n", method: .random, space: space, objective: .maximize("acc"),
                          earlyTermination: .asha(try ASHA(direction: .minimize)))
        }
    }

    @Test func aTunersStoredSpecNamesItsObjectiveAndKeepsTheFirstTunersHash() throws {
        let spec = StoredObjective.tunerSpec(.minimize("val_loss"))
        #expect(StoredObjective.objective(spec: spec) == .minimize("val_loss"))
        #expect(StoredObjective.objective(spec: "swift") == nil)
        let space = try SearchSpace([SearchParameter(name: "units", distribution: IntHyperparameter(name: "units", min: 4, max: 8, step: 4))])
        func plan(_ spec: String) throws -> SweepPlan { try SweepPlan(project: "p", name: "n", method: .random, space: space, objective: .minimize("val_loss"), spec: spec) }
        #expect(try plan(spec).specHash == plan("swift").specHash)
        #expect(try plan(spec).specHash != plan("{\"yaml\": \"x\", \"source\": \"y\"}").specHash)
    }
}
