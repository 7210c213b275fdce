import Testing
@testable import Tuning

/// Hyperband's brackets against the paper's table, and W&B's hyperband rule against the cases of
/// W&B's own tests and docstring (values worked out by hand from the rule).
struct HyperbandScheduleTests {
    func pairs(_ bracket: [HyperbandSchedule.Rung]) -> [[Double]] { bracket.map { [Double($0.configurations), $0.epochs] } }

    @Test func r81Eta3GivesThePapersBrackets() throws {
        let schedule = try HyperbandSchedule(maxResource: 81, eta: 3)
        #expect(schedule.sMax == 4)
        #expect(schedule.brackets.map(pairs) == [
            [[81, 1], [27, 3], [9, 9], [3, 27], [1, 81]],
            [[34, 3], [11, 9], [3, 27], [1, 81]],
            [[15, 9], [5, 27], [1, 81]],
            [[8, 27], [2, 81]],
            [[5, 81]],
        ])
    }

    @Test func r243Eta3HasSixBracketsNotFive() throws {
        // log(243)/log(3) is 4.999… in floating point; ⌊·⌋ of it would lose a bracket.
        let schedule = try HyperbandSchedule(maxResource: 243, eta: 3)
        #expect(schedule.sMax == 5 && schedule.brackets.count == 6)
        #expect(pairs(schedule.brackets[0]) == [[243, 1], [81, 3], [27, 9], [9, 27], [3, 81], [1, 243]])
        #expect(pairs(schedule.brackets[5]) == [[6, 243]])
    }

    @Test func edgesAndBadArguments() throws {
        #expect(try HyperbandSchedule(maxResource: 1, eta: 3).brackets.map(pairs) == [[[1, 1]]])
        #expect(try HyperbandSchedule(maxResource: 8, eta: 2).sMax == 3)
        #expect(try HyperbandSchedule(maxResource: 7, eta: 2).sMax == 2)
        #expect(throws: TuningError.self) { try HyperbandSchedule(maxResource: 81, eta: 1) }
        #expect(throws: TuningError.self) { try HyperbandSchedule(maxResource: 0, eta: 3) }
        #expect(throws: TuningError.self) { try HyperbandSchedule(maxResource: Int.max, eta: 2) }
        #expect(throws: TuningError.self) { try HyperbandSampler(maxEpochs: 1_000_000, factor: 2) }
        #expect(try HyperbandSampler(maxEpochs: 81, factor: 3).slots.count == 81 + 27 + 9 + 3 + 1 + 34 + 11 + 3 + 1 + 15 + 5 + 1 + 8 + 2 + 5)
    }
}

struct WandbHyperbandTests {
    @Test func bandsFromMinIterAndFromMaxIter() throws {
        #expect(try WandbHyperband(minIter: 3, eta: 3, direction: .minimize).bands.prefix(3) == [3, 9, 27])
        #expect(try WandbHyperband(maxIter: 81, s: 3, eta: 3, direction: .minimize).bands == [3, 9, 27])
        #expect(try WandbHyperband(maxIter: 18, s: 2, eta: 3, direction: .minimize).bands == [2, 6])
        #expect(try WandbHyperband(maxIter: 5, s: 2, eta: 2, direction: .minimize).bands == [1, 2])
        #expect(throws: TuningError.self) { try WandbHyperband(maxIter: 2, s: 2, eta: 3, direction: .minimize) }
        #expect(throws: TuningError.self) { try WandbHyperband(minIter: 0, direction: .minimize) }
        #expect(throws: TuningError.self) { try WandbHyperband(minIter: 3, eta: 1, direction: .minimize) }
    }

    @Test func theFlatRunIsStoppedAtTheFirstBand() throws {
        // W&B's test: a run stuck at 10 for 4 steps beside one falling 10, 9, … 1.
        let flat = [Double](repeating: 10, count: 4), falling = (0..<10).map { Double(10 - $0) }
        for rule in [try WandbHyperband(minIter: 3, eta: 3, direction: .minimize), try WandbHyperband(maxIter: 81, s: 3, eta: 3, direction: .minimize)] {
            // Band 3: values 10 and 8, index ⌊2/3⌋ = 0 → 8. Band 9: only the falling run, 2.
            #expect(rule.thresholds([flat, falling]).prefix(2) == [8, 2])
            #expect(rule.shouldStop(flat, histories: [flat, falling]))
            #expect(!rule.shouldStop(falling, histories: [flat, falling]))
        }
        // Maximized, the same runs mirrored.
        let maximized = try WandbHyperband(minIter: 3, eta: 3, direction: .maximize)
        let low = flat, rising = (0..<10).map { Double(10 + $0) }
        #expect(maximized.shouldStop(low, histories: [low, rising]) && !maximized.shouldStop(rising, histories: [low, rising]))
    }

    @Test func theDocstringSweepJudgesEachRunAtItsLastBand() throws {
        // W&B's docstring: of these, the second (running) is stopped; the first is over the
        // threshold too but finished there, and W&B judges running runs only.
        let rule = try WandbHyperband(maxIter: 5, s: 2, eta: 2, direction: .minimize)
        let runs: [[Double]] = [[10, 9], [10, 10], [10, 8, 8], [10, 7, 7], [10, 6, 6]]
        // Band 1: five 10s → 10. Band 2: [6, 7, 8, 9, 10][⌊5/2⌋] = 8.
        #expect(rule.thresholds(runs) == [10, 8])
        #expect(runs.map { rule.shouldStop($0, histories: runs) } == [true, true, false, false, false])
    }

    @Test func strictJudgesTheValueAtTheBandNotTheBestSoFar() throws {
        let runs: [[Double]] = [[5, 9], [6, 6], [7, 7], [8, 8]]
        // Band 2 threshold: [6, 7, 8, 9][⌊4/2⌋] = 8; the first run was at 5 but is at 9 on band 2.
        let strict = try WandbHyperband(maxIter: 5, s: 2, eta: 2, strict: true, direction: .minimize)
        let lenient = try WandbHyperband(maxIter: 5, s: 2, eta: 2, strict: false, direction: .minimize)
        #expect(strict.shouldStop(runs[0], histories: runs))
        #expect(!lenient.shouldStop(runs[0], histories: runs))
    }

    @Test func nonFiniteValuesAreLeftOutAndNoBandMeansNoStop() throws {
        let rule = try WandbHyperband(minIter: 2, eta: 2, direction: .minimize)
        #expect(!rule.shouldStop([10], histories: [[10], [1, 1]]))  // not at a band yet
        // [nan, 10, 10] counts as two values: band 2 reached, at 10 against [1, 10][1] = 10 → stays.
        #expect(!rule.shouldStop([.nan, 10, 10], histories: [[.nan, 10, 10], [1, 1]]))
        #expect(rule.thresholds([[.infinity], [3]]) == [.infinity] + Array(repeating: .infinity, count: rule.bands.count - 1))
    }
}
