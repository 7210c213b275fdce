import Foundation
import Testing
import Models
import Tracking
@testable import Tuning

func temporaryDirectory(_ name: String = #function) -> String {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("temper-tuning-\(ProcessInfo.processInfo.processIdentifier)-\(name.filter { $0.isLetter })-\(UUID().uuidString.prefix(6))").path
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

/// The deck's circles, split 500 / 500 as in the deck.
func circleData() throws -> (train: (x: Matrix, y: Matrix), test: (x: Matrix, y: Matrix)) {
    let data = try Generators.circles(samples: 200, noise: 0.1, seed: 1)
    let train = try data.rows(0..<100), test = try data.rows(100..<200)
    return ((train.x, train.y), (test.x, test.y))
}

/// The deck's Keras Tuner model.
let deckModel: @Sendable (HyperParameters) throws -> Sequential = { hp in
    let model = try Sequential {
        Dense(try hp.int("units", min: 4, max: 32, step: 4), activation: .relu, inputShape: [2])
        Dense(1, activation: .sigmoid)
    }
    try model.compile(optimizer: Adam(learningRate: try hp.choice("learning_rate", [1e-2, 1e-3, 1e-4])), loss: .binaryCrossEntropy, metrics: [.accuracy])
    return model
}

/// The deck's model with its width fixed: trials differ in the learning rate only, so they can
/// train together.
let sameWidthModel: @Sendable (HyperParameters) throws -> Sequential = { hp in
    let model = try Sequential {
        Dense(16, activation: .relu, inputShape: [2])
        Dense(1, activation: .sigmoid)
    }
    try model.compile(optimizer: Adam(learningRate: .constant(try hp.float("learning_rate", min: 1e-4, max: 1e-1, sampling: .log))), loss: .binaryCrossEntropy,
                      metrics: [.accuracy])
    return model
}

@Suite(.serialized)
struct TunerTests {
    @Test func aTrialsScoreIsTheMeanOverExecutionsOfTheBestEpoch() throws {
        let (train, test) = try circleData()
        let dir = temporaryDirectory()
        let tuner = try RandomSearch(objective: .maximize("val_accuracy"), maxTrials: 3, executionsPerTrial: 2, seed: 7, directory: dir, projectName: "hello", deckModel)
        try tuner.search(x: train.x, y: train.y, epochs: 6, batchSize: 16, validationData: test, verbose: 0)
        let store = try RunStore(directory: dir, access: .readOnly)
        let sweep = try #require(tuner.sweep)
        let trials = try store.trials(sweep.info.id)
        #expect(trials.count == 3 && trials.allSatisfy { $0.state == .finished })
        for trial in trials {
            #expect(trial.runIDs.count == 2)
            // Recomputed from what the runs logged: the best val_accuracy of each, averaged.
            let bests = try trial.runIDs.map { id in try #require(try store.history(id)["val_accuracy"]?.map(\.value).max()) }
            #expect(abs((trial.score ?? .nan) - bests.reduce(0, +) / 2) < 1e-12)
            // Executions are seeded differently: their histories differ.
            let losses = try trial.runIDs.map { try store.history($0)["loss"]?.map(\.value) ?? [] }
            #expect(losses[0] != losses[1])
            let runs = try trial.runIDs.map { try store.run($0) }
            #expect(runs.allSatisfy { $0.sweepID == sweep.info.id && $0.trial == trial.number && $0.config["units"] == trial.config["units"] })
        }
        let best = try tuner.bestHyperparameters(1)[0]
        #expect(best.values == sweep.flat(try sweep.bestTrials(1)[0].config))
        #expect(try tuner.resultsSummary(print: false).contains("Score: \(try sweep.bestTrials(1)[0].score!)"))
        #expect(try tuner.searchSpaceSummary(print: false).contains("units (Int)"))
    }

    @Test func bestModelsCarryTheBestEpochsWeights() throws {
        let (train, test) = try circleData()
        let dir = temporaryDirectory()
        let tuner = try RandomSearch(objective: .minimize("val_loss"), maxTrials: 2, seed: 3, directory: dir, projectName: "p", deckModel)
        try tuner.search(x: train.x, y: train.y, epochs: 8, batchSize: 16, validationData: test, verbose: 0)
        let model = try tuner.bestModels(1)[0]
        let best = try #require(try tuner.sweep?.bestTrials(1).first)
        // The restored model's validation loss is the best epoch's (the trial's score: one execution).
        let loss = try model.evaluate(x: test.x, y: test.y)["loss"] ?? .nan
        #expect(abs(loss - (best.score ?? .nan)) < 1e-5)
    }

    @Test func parallelThreadsGiveTheSameTrialsAndResults() throws {
        let (train, test) = try circleData()
        func search(parallel: Int) throws -> [(config: RunConfig, score: Double?, losses: [[Double]])] {
            let dir = temporaryDirectory()
            let tuner = try RandomSearch(objective: .maximize("val_accuracy"), maxTrials: 4, executionsPerTrial: 2, seed: 11, directory: dir,
                                         projectName: "par", parallel: parallel, deckModel)
            try tuner.search(x: train.x, y: train.y, epochs: 5, batchSize: 16, validationData: test, verbose: 0)
            let store = try RunStore(directory: dir, access: .readOnly)
            return try store.trials(try #require(tuner.sweep).info.id).map { trial in
                (trial.config, trial.score, try trial.runIDs.map { try store.history($0)["loss"]?.map(\.value) ?? [] })
            }
        }
        let one = try search(parallel: 1), two = try search(parallel: 2)
        #expect(one.count == 4 && two.count == 4)
        for (a, b) in zip(one, two) {
            #expect(a.config == b.config)
            #expect(a.score == b.score, "bit-identical scores")
            #expect(a.losses == b.losses, "bit-identical histories")
        }
    }

    @Test func executionsTrainedTogetherGiveEveryTrialAndRunTheSameResults() throws {
        let (train, test) = try circleData()
        func search(vectorize: Bool, trials: TrialGrouping = .apart) throws -> [(config: RunConfig, score: Double?, runs: [(name: String, losses: [Double], accuracy: [Double])])] {
            let dir = temporaryDirectory()
            let tuner = try RandomSearch(objective: .maximize("val_accuracy"), maxTrials: 3, executionsPerTrial: 3, seed: 11, directory: dir,
                                         projectName: "vec", sameWidthModel)
            try tuner.search(x: train.x, y: train.y, epochs: 4, batchSize: 16, validationData: test, verbose: 0, vectorizeExecutions: vectorize,
                             vectorizeTrials: trials)
            let store = try RunStore(directory: dir, access: .readOnly)
            return try store.trials(try #require(tuner.sweep).info.id).map { trial in
                (trial.config, trial.score, try trial.runIDs.map { id in
                    let history = try store.history(id)
                    return (try store.run(id).name, history["loss"]?.map(\.value) ?? [], history["val_accuracy"]?.map(\.value) ?? [])
                })
            }
        }
        let apart = try search(vectorize: false), together = try search(vectorize: true), trials = try search(vectorize: false, trials: .upTo(3))
        #expect(apart.count == 3 && together.count == 3 && trials.count == 3)
        #expect(Set(apart.map { "\($0.config)" }).count == 3, "the trials differ")
        for (a, b) in Array(zip(apart, together)) + Array(zip(apart, trials)) {
            #expect(a.config == b.config)
            #expect(a.score == b.score, "bit-identical scores")
            // Each execution is still a run of its own, named and logged as when trained apart.
            #expect(b.runs.count == 3)
            #expect(a.runs.map(\.name) == b.runs.map(\.name))
            #expect(a.runs.map(\.losses) == b.runs.map(\.losses), "bit-identical histories")
            #expect(a.runs.map(\.accuracy) == b.runs.map(\.accuracy))
        }
    }

    @Test func searchingAgainResumesAndKeepsFinishedTrials() throws {
        let (train, test) = try circleData()
        let dir = temporaryDirectory()
        func tuner(_ trials: Int) throws -> RandomSearch {
            try RandomSearch(objective: .maximize("val_accuracy"), maxTrials: trials, seed: 5, directory: dir, projectName: "again", deckModel)
        }
        let first = try tuner(2)
        try first.search(x: train.x, y: train.y, epochs: 3, batchSize: 16, validationData: test, verbose: 0)
        let again = try tuner(2)
        try again.search(x: train.x, y: train.y, epochs: 3, batchSize: 16, validationData: test, verbose: 0)
        #expect(again.sweep?.info.id == first.sweep?.info.id)
        let store = try RunStore(directory: dir, access: .readOnly)
        #expect(try store.runs(project: "again").count == 2, "no trial ran twice")
    }

    @Test func gridSearchRunsTheWholeProductDefaultsFirst() throws {
        let (train, test) = try circleData()
        let dir = temporaryDirectory()
        let tuner = try GridSearch(objective: "val_loss", directory: dir, projectName: "grid") { hp in
            let model = try Sequential {
                Dense(try hp.choice("units", [8, 4], default: 4), activation: .relu, inputShape: [2])
                Dense(1, activation: .sigmoid)
            }
            let optimizer = try hp.choice("optimizer", ["sgd", "adam"])
            let lr = try hp.float("adam_lr", min: 0.25, max: 0.75, step: 0.5, parentName: "optimizer", parentValues: ["adam"])
            try model.compile(optimizer: optimizer == "sgd" ? SGD(learningRate: 0.1) : Adam(learningRate: .constant(lr)), loss: .binaryCrossEntropy)
            return model
        }
        #expect(try tuner.gridSize() == 2 * (1 + 2))
        try tuner.search(x: train.x, y: train.y, epochs: 2, validationData: test, verbose: 0)
        let configs = try #require(tuner.sweep).trials().map { $0.config }
        #expect(configs == [["units": 4, "optimizer": "sgd"], ["units": 4, "optimizer": "adam", "adam_lr": 0.25], ["units": 4, "optimizer": "adam", "adam_lr": 0.75],
                            ["units": 8, "optimizer": "sgd"], ["units": 8, "optimizer": "adam", "adam_lr": 0.25], ["units": 8, "optimizer": "adam", "adam_lr": 0.75]])
    }

    @Test func aTrialThatThrowsIsRecordedAsFailedAndTheSearchGoesOn() throws {
        let (train, test) = try circleData()
        let dir = temporaryDirectory()
        let tuner = try RandomSearch(objective: .maximize("val_accuracy"), maxTrials: 4, seed: 2, directory: dir, projectName: "f") { hp in
            let width = try hp.int("width", min: 1, max: 8)
            if width > 4 { throw TuningError.invalidParameter("width \(width) is too many for this test") }
            return try deckModel(hp)
        }
        try tuner.search(x: train.x, y: train.y, epochs: 2, validationData: test, verbose: 0)
        let trials = try #require(tuner.sweep).trials()
        #expect(trials.count == 4)
        #expect(trials.contains { $0.state == .failed && $0.error?.contains("too many") == true })
        #expect(trials.contains { $0.state == .finished })
    }
}

struct SweepStateTests {
    @Test func aSweepIsFinishedOnlyWhenNoTrialIsLeftRunning() throws {
        let dir = temporaryDirectory()
        let tracker = try Tracker(dir: dir, systemMetricsInterval: nil)
        let space = try SearchSpace([SearchParameter(name: "units", distribution: IntHyperparameter(name: "units", min: 4, max: 8, step: 4)),
                                     SearchParameter(name: "learning_rate", distribution: ChoiceHyperparameter(name: "learning_rate", values: [1e-2, 1e-3, 1e-4]))])
        let model: @Sendable (HyperParameters) throws -> Sequential = { hp in
            let model = try Sequential { Dense(try hp.int("units", min: 4, max: 8, step: 4), activation: .relu, inputShape: [2]); Dense(1, activation: .sigmoid) }
            try model.compile(optimizer: Adam(learningRate: try hp.choice("learning_rate", [1e-2, 1e-3, 1e-4])), loss: .binaryCrossEntropy, metrics: [.accuracy])
            return model
        }
        let plan = try SweepPlan(project: "p", name: "s", method: .grid, space: space, objective: .maximize("val_accuracy"))
        let (sweep, _) = try Sweep.open(plan, in: tracker.store)
        // Another process has trial 0 and is still training it.
        _ = try #require(try sweep.claim())
        let (train, test) = try circleData()
        let executor = ModelTrialExecutor(build: model, fit: { model, callbacks in
            try model.fit(x: train.x, y: train.y, epochs: 1, validationData: test, callbacks: callbacks, verbose: 0)
        })
        try SweepRunner(sweep: sweep, tracker: tracker, executor: executor).run()
        let trials = try sweep.trials()
        #expect(trials.map(\.state) == [.running] + Array(repeating: .finished, count: 5), "\(trials.map { "\($0.state) \($0.error ?? "")" })")
        #expect(try tracker.store.sweep(sweep.info.id).state == .running)
    }

    @Test func aTunerStopsTrialsWithASHAAndTheSameAtAnyParallelism() throws {
        let (train, test) = try circleData()
        func search(parallel: Int) throws -> [TrialInfo] {
            let tuner = try RandomSearch(objective: .maximize("val_accuracy"), maxTrials: 8, seed: 3, directory: temporaryDirectory("asha\(parallel)"),
                                         projectName: "asha", parallel: parallel, deckModel)
            tuner.earlyTermination = .asha(try ASHA(minIter: 2, eta: 2, direction: .maximize))
            try tuner.search(x: train.x, y: train.y, epochs: 9, batchSize: 16, validationData: test, verbose: 0)
            return try tuner.sweep?.trials() ?? []
        }
        let one = try search(parallel: 1), two = try search(parallel: 3)
        #expect(one.map(\.state) == two.map(\.state) && one.map(\.score) == two.map(\.score) && one.map(\.config) == two.map(\.config))
        let stopped = one.filter { $0.state == .stopped }
        #expect(!stopped.isEmpty && stopped.count < one.count, "\(one.map(\.state))")
        #expect(stopped.allSatisfy { $0.error?.contains("stopped by ASHA at rung") == true })
        // A trial judged at its last epoch has trained to its end: it finished, it was not stopped.
        let ends = try RandomSearch(objective: .maximize("val_accuracy"), maxTrials: 6, seed: 3, directory: temporaryDirectory("ends"), projectName: "ends", deckModel)
        ends.earlyTermination = .asha(try ASHA(minIter: 2, eta: 2, direction: .maximize))
        try ends.search(x: train.x, y: train.y, epochs: 2, batchSize: 16, validationData: test, verbose: 0)
        #expect(try ends.sweep?.trials().map(\.state) == Array(repeating: .finished, count: 6))
        // Built for the other direction, the policy is refused before any trial runs.
        let wrong = try RandomSearch(objective: .maximize("val_accuracy"), maxTrials: 2, directory: temporaryDirectory("wrong"), deckModel)
        wrong.earlyTermination = .asha(try ASHA(direction: .minimize))
        #expect(throws: TuningError.self) { try wrong.search(x: train.x, y: train.y, epochs: 2, validationData: test, verbose: 0) }
    }
}
