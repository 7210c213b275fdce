import Foundation
import Testing
import Models
@testable import Tracking
@testable import Tuning

/// Keras Tuner's Hyperband: the trials follow the brackets, promoted trials are the best of the
/// round before and resume from its weights, and the trials are the same at any parallelism.
@Suite(.serialized)
struct HyperbandTunerTests {
    func search(parallel: Int) throws -> (trials: [TrialInfo], epochs: [Int], store: RunStore) {
        let (train, test) = try circleData()
        let dir = temporaryDirectory()
        let tuner = try Hyperband(objective: .maximize("val_accuracy"), maxEpochs: 9, factor: 3, seed: 4, directory: dir, projectName: "hb",
                                  parallel: parallel, deckModel)
        try tuner.search(x: train.x, y: train.y, epochs: 1000, batchSize: 16, validationData: test, verbose: 0)
        let store = try RunStore(directory: dir, access: .readOnly)
        let trials = try store.trials(try #require(tuner.sweep).info.id)
        let epochs = try trials.map { try store.history(try #require($0.runIDs.first))["val_accuracy"]?.count ?? 0 }
        return (trials, epochs, store)
    }

    func int(_ trial: TrialInfo, _ key: String) -> Int? {
        if case .int(let v)? = trial.config[key] { return v }
        return nil
    }

    @Test func trialsFollowTheBracketsAndPromoteTheBest() throws {
        let (trials, epochs, _) = try search(parallel: 1)
        // R = 9, η = 3: (9 × 1, 3 × 3, 1 × 9), (5 × 3, 1 × 9), (3 × 9) — 22 trials.
        #expect(trials.count == 22)
        #expect(trials.map { int($0, "tuner/epochs") ?? 0 } == [1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 9, 3, 3, 3, 3, 3, 9, 9, 9, 9])
        // A promoted trial trains from its parent's epochs to its own: 2 epochs, then 6.
        #expect(epochs == [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 6, 3, 3, 3, 3, 3, 6, 9, 9, 9])
        // Trials 9–11 are the best three of trials 0–8, best first; trial 12 the best of 9–11.
        let firstRound = trials[0..<9].sorted { ($0.score ?? -1, -$0.number) > ($1.score ?? -1, -$1.number) }
        #expect(trials[9..<12].map { int($0, "tuner/trial_id") } == firstRound.prefix(3).map(\.number))
        for promoted in trials[9..<12] {
            let parent = trials[int(promoted, "tuner/trial_id") ?? 0]
            #expect(promoted.config["units"] == parent.config["units"] && promoted.config["learning_rate"] == parent.config["learning_rate"])
        }
        let secondRound = trials[9..<12].sorted { ($0.score ?? -1, -$0.number) > ($1.score ?? -1, -$1.number) }
        #expect(int(trials[12], "tuner/trial_id") == secondRound[0].number)
    }

    @Test func theSameTrialsAtAnyParallelism() throws {
        let one = try search(parallel: 1), three = try search(parallel: 3)
        #expect(one.trials.map(\.config) == three.trials.map(\.config))
        #expect(one.trials.map(\.score) == three.trials.map(\.score))
    }

    @Test func aPromotedTrialStartsFromItsParentsSavedWeights() throws {
        let dir = temporaryDirectory()
        let parent = try Sequential(seed: 1, inputShape: [2]) { Dense(3, activation: .relu); Dense(1, activation: .sigmoid) }
        try parent.saveWeights(to: dir + "/trial-3.safetensors")
        let child = try Sequential(seed: 2, inputShape: [2]) { Dense(3, activation: .relu); Dense(1, activation: .sigmoid) }
        #expect(try child.weights() != parent.weights())
        var executor = ModelTrialExecutor(build: deckModel, fit: { _, _ in History() }, weightsDirectory: dir)
        executor.inputShape = [2]
        let promoted = TrialInfo(sweepID: "s", number: 9, config: ["tuner/epochs": 3, "tuner/initial_epoch": 1, "tuner/trial_id": 3], seed: 1,
                                 state: .running, attempt: 1, runIDs: [], score: nil, error: nil, claimedAt: 0, heartbeatAt: 0, endedAt: nil, host: "h")
        #expect(try executor.resume(child, trial: promoted) == 2)
        #expect(try child.weights() == parent.weights())
        // A first-round trial starts fresh; a trial without the keys is not Hyperband's.
        var fresh = promoted
        fresh.config["tuner/trial_id"] = -1
        let other = try Sequential(seed: 5, inputShape: [2]) { Dense(3, activation: .relu); Dense(1, activation: .sigmoid) }
        let before = try other.weights()
        #expect(try executor.resume(other, trial: fresh) == 2 && other.weights() == before)
        fresh.config = [:]
        #expect(try executor.resume(other, trial: fresh) == nil)
    }
}
