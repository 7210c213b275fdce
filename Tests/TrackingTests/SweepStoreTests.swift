import Foundation
import GRDB
import Testing
import ProcessSupport
@testable import Tracking

/// Claiming trials in the store: crashed ones are claimed again with their configuration and
/// seed, unstarted ones given back are taken as they are, late results are not counted.
struct SweepStoreTests {
    func sweep(_ store: RunStore) throws -> SweepInfo {
        try store.createSweep(project: "p", name: "s", method: "random", spec: "{}", seed: 3, specHash: "h")
    }

    func propose(_ context: RunStore.ClaimContext) -> TrialProposal? {
        context.number < 5 ? TrialProposal(config: ["n": .int(context.number)], seed: UInt64(100 + context.number)) : nil
    }

    @Test func aSweepStateThisTemperDoesNotKnowIsAnErrorNotAGuess() throws {
        let store = try RunStore(directory: temporaryStore())
        let info = try sweep(store)
        #expect(try store.sweep(info.id).state == .running)
        try store.write { db in try db.execute("UPDATE sweep SET state = 'paused'") }
        #expect { try store.sweep(info.id) } throws: { error in
            "\(error)".contains("sweep \(info.id) has state \"paused\"") && "\(error)".contains("running, finished, stopped")
        }
    }

    @Test func aTrialWhoseProcessIsGoneIsClaimedAgainAndItsLateResultIgnored() throws {
        let store = try RunStore(directory: temporaryStore(), staleAfter: 0.2)
        let info = try sweep(store)
        let first = try #require(try store.claimTrial(info.id, propose: propose))
        #expect(first.trial.number == 0 && first.trial.attempt == 1 && first.trial.seed == 100)
        // No heartbeat for longer than staleAfter (this process lives on, so only the heartbeat says it).
        try store.write { db in try db.execute("UPDATE trial SET pid = NULL WHERE number = 0") }
        Thread.sleep(forTimeInterval: 0.3)
        let again = try #require(try store.claimTrial(info.id, propose: propose))
        #expect(again.trial.number == 0 && again.trial.attempt == 2 && again.trial.config == ["n": 0] && again.trial.seed == 100)
        // The first claimer comes back late: its result is not recorded.
        #expect(try store.finishTrial(first, state: .finished, score: 0.1, error: nil) == false)
        #expect(try store.finishTrial(again, state: .finished, score: 0.9, error: nil))
        #expect(try store.trials(info.id).first?.score == 0.9)
    }

    @Test func claimsComeInBatchesAndUnstartedOnesAreGivenBack() throws {
        let store = try RunStore(directory: temporaryStore())
        let info = try sweep(store)
        let batch = try store.claimTrials(info.id, count: 3, propose: propose)
        #expect(batch.map(\.trial.number) == [0, 1, 2])
        let done = RunStore.TrialResult(claim: batch[0], state: .finished, score: 0.5, error: nil)
        try store.releaseTrials(Array(batch[1...]), results: [done])
        #expect(try store.trials(info.id).map(\.state) == [.finished, .pending, .pending])
        // Given-back trials come first, unchanged; then new ones, until the proposals end.
        let next = try store.claimTrials(info.id, count: 10, propose: propose)
        #expect(next.map(\.trial.number) == [1, 2, 3, 4] && next.allSatisfy { $0.trial.attempt == 1 })
        #expect(try store.claimTrials(info.id, count: 10, propose: propose).isEmpty)
    }

    @Test func twoProcessesNeverClaimTheSameTrial() throws {
        let dir = temporaryStore()
        let store = try RunStore(directory: dir)
        let info = try sweep(store)
        // Another connection (as another process would) claims at the same time as this one.
        let other = try RunStore(directory: dir)
        final class Box: @unchecked Sendable { var numbers: [Int] = [] }
        let a = Box(), b = Box()
        let group = DispatchGroup()
        for (s, box) in [(store, a), (other, b)] {
            group.enter()
            Thread {
                while let claim = try? s.claimTrial(info.id, propose: { c in c.number < 200 ? TrialProposal(config: [:], seed: 0) : nil }) {
                    box.numbers.append(claim.trial.number)
                }
                group.leave()
            }.start()
        }
        group.wait()
        #expect(Set(a.numbers).isDisjoint(with: b.numbers))
        #expect((a.numbers + b.numbers).sorted() == Array(0..<200))
    }
}

struct ConfigJSONTests {
    @Test func integersAndRealsKeepTheirKindThroughTheStore() throws {
        let config: RunConfig = ["q": 4.0, "n": 4, "big": 1e16, "tiny": 1e-5, "list": [1.0, 2, "x"], "nested": ["a": 3.0, "b": true], "s": "4.0"]
        let text = JSONText.config(config)
        #expect(ConfigJSON.config(text) == config, "\(text)")
        let store = try RunStore(directory: temporaryStore())
        let sweep = try store.createSweep(project: "p", name: "s", method: "grid", spec: "{}", seed: 1, specHash: "h")
        _ = try store.claimTrial(sweep.id) { $0.number == 0 ? TrialProposal(config: config, seed: 1) : nil }
        #expect(try store.trials(sweep.id).first?.config == config)
        let run = try Tracker(dir: store.directory, systemMetricsInterval: nil).start(project: "p", config: config)
        try run.finish()
        #expect(try store.run(run.id).config == config)
    }
}
