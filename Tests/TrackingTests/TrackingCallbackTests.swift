import Foundation
import GRDB
import Testing
import ProcessSupport
import Charts
import Models
@testable import Tracking

struct TrackingCallbackTests {
    /// Copies every weight and last-batch gradient at each epoch's end, through the copying APIs,
    /// and slows epochs down so that the run's writer takes what is logged in several rounds.
    final class Recorder: Callback {
        var weights: [[(name: String, values: [Float])]] = []
        var gradients: [[String: [Float]]] = []
        var wantsBatchGradients: Bool { true }

        func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {
            weights.append(try training.parameterValues())
            gradients.append(training.lastBatchGradients)
            usleep(5_000)
        }
    }

    @Test func eachEpochsHistogramsAreOfThatEpochsWeightsAndGradients() throws {
        // A short flush interval bounds the writer's idle back-off (while the model compiles), so
        // it takes rows in several rounds during the 12 slowed-down epochs.
        let tracker = try Tracker(dir: temporaryStore(), flushInterval: 0.02, systemMetricsInterval: nil)
        let run = try tracker.start(project: "p")
        let model = Sequential(seed: 4) {
            Dense(6, activation: .relu, inputShape: [2])
            BatchNormalization()
            Dense(1, activation: .sigmoid)
        }
        try model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
        let data = try Generators.circles(samples: 64, noise: 0.1, seed: 5)
        let recorder = Recorder()
        let epochs = 12
        try model.fit(x: data.x, y: data.y, batchSize: 16, epochs: epochs, callbacks: [TrackingCallback(run, histogramBins: 16), recorder], verbose: 0)
        try run.waitUntilWritten()
        // The buffers the training thread filled were given back by the writer and filled again.
        #expect(tracker.buffers.reused > 0)

        let stored = try tracker.store.histograms(run.id)
        let weightNames = recorder.weights[0].map(\.name), gradientNames = ["dense/kernel", "dense/bias", "batch_normalization/gamma",
                                                                            "batch_normalization/beta", "dense_1/kernel", "dense_1/bias"]
        #expect(Set(stored.keys) == Set(weightNames.map { "parameters/" + $0 } + gradientNames.map { "gradients/" + $0 }))
        for epoch in 0..<epochs {
            var expected = recorder.weights[epoch].map { ("parameters/" + $0.name, $0.values) }
            expected += gradientNames.map { ("gradients/" + $0, recorder.gradients[epoch][$0]!) }
            for (name, values) in expected {
                let logged = stored[name]![epoch]
                let reference = Histogram(of: values, bins: 16)
                #expect(logged.step == epoch + 1)
                #expect(logged.histogram.counts == reference.counts, "\(name) at epoch \(epoch)")
                #expect(Swift.abs(logged.histogram.edges.first! - reference.edges.first!) <= 1e-6 && Swift.abs(logged.histogram.edges.last! - reference.edges.last!) <= 1e-6)
            }
        }
    }

    @Test func metricsLoggedAcrossManyWriterRoundsKeepWholeHistoryAndSummaries() throws {
        let tracker = try Tracker(dir: temporaryStore(), systemMetricsInterval: nil)
        let run = try tracker.start(project: "p")
        var random = SystemRandomNumberGenerator()
        var logged: [(step: Int, loss: Double)] = []
        for step in 1...60 {
            let loss = Double.random(in: -5...5, using: &random)
            logged.append((step, loss))
            run.log(["loss": loss, "step_squared": Double(step * step)], step: step)
            usleep(400)  // 24 ms in all: the writer prepares in several rounds of 5 ms
        }
        try run.finish()
        let info = try tracker.store.run(run.id)
        #expect(info.summary["loss"] == MetricSummary(last: logged.last!.loss, lastStep: 60, min: logged.map(\.loss).min()!,
                                                      max: logged.map(\.loss).max()!, count: 60))
        #expect(info.summary["step_squared"] == MetricSummary(last: 3600, lastStep: 60, min: 1, max: 3600, count: 60))
        let history = try tracker.store.history(run.id, keys: ["loss"])["loss"]!
        #expect(history.map(\.step) == Array(1...60))
        #expect(history.map(\.value) == logged.map(\.loss))
    }

    @Test func runsStartedTogetherAndOneAfterAnotherAllLand() throws {
        let tracker = try Tracker(dir: temporaryStore(), systemMetricsInterval: nil)
        let together = try (0..<12).map { try tracker.start(project: "p", name: "together-\($0)") }
        for (i, run) in together.enumerated() { run.log(["i": Double(i)], step: 1) }
        for run in together { try run.finish(wait: false) }
        let startedBefore = tracker.writers.started
        for i in 0..<20 {
            let run = try tracker.start(project: "p", name: "sequential-\(i)")
            run.log(["i": Double(i)], step: 1)
            try run.finish()
        }
        // Writer threads are reused: twenty runs one after another start at most two more.
        #expect(tracker.writers.started <= startedBefore + 2)
        let runs = try tracker.store.runs(project: "p")
        #expect(runs.count == 32 && runs.allSatisfy { $0.state == .finished })
        for (i, run) in together.enumerated() { #expect(try tracker.store.run(run.id).summary["i"]?.last == Double(i)) }
    }

    @Test func nonFiniteConfigValuesAreStoredAsStrings() throws {
        let tracker = try Tracker(dir: temporaryStore(), systemMetricsInterval: nil)
        let run = try tracker.start(project: "p", config: ["lr": .double(.nan), "clip": .double(.infinity), "layers": 2])
        try run.finish()
        let config = try tracker.store.run(run.id).config
        #expect(config == ["lr": "NaN", "clip": "Infinity", "layers": 2])
    }

    @Test func anIdleRunsWriterBacksOffToTheFlushInterval() throws {
        let tracker = try Tracker(dir: temporaryStore(), flushInterval: 0.2, heartbeatInterval: 60, systemMetricsInterval: nil)
        let run = try tracker.start(project: "p")
        run.log(["loss": 1], step: 1)
        Thread.sleep(forTimeInterval: 1)
        // Polling every 5 ms for a second would be 200 wake-ups; backing off (5, 10, 20 … 200 ms)
        // makes a dozen or so.
        #expect(run.writerWakeUps < 30)
        // Rows logged after the pause are still written without a flush, about a flush interval later.
        run.log(["loss": 2], step: 2)
        let logged = Date()
        var steps: [Int] = []
        while steps != [1, 2] && Date().timeIntervalSince(logged) < 3 {
            Thread.sleep(forTimeInterval: 0.02)
            steps = try DatabaseQueue(path: tracker.store.path).read { db in
                try Int.fetchAll(db, sql: "SELECT step FROM history WHERE run_id = ? ORDER BY step", arguments: [run.id])
            }
        }
        #expect(steps == [1, 2])
        try run.finish()
    }

    @Test func aCallbackUsedForASecondFitLogsTheNewWeights() throws {
        let tracker = try Tracker(dir: temporaryStore(), systemMetricsInterval: nil)
        let run = try tracker.start(project: "p")
        let callback = TrackingCallback(run, histogramBins: 8, finishRunAtEnd: false)
        let model = Sequential(seed: 6) { Dense(3, activation: .relu, inputShape: [2]); Dense(1) }
        let data = try Generators.circles(samples: 32, noise: 0.1, seed: 7)
        try model.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        try model.fit(x: data.x, y: data.y, epochs: 2, callbacks: [callback], verbose: 0)
        // Compiling again makes new variables: the second fit's histograms must be of those.
        try model.compile(optimizer: SGD(learningRate: 0.5), loss: .meanSquaredError)
        let recorder = Recorder()
        try model.fit(x: data.x, y: data.y, epochs: 2, callbacks: [callback, recorder], verbose: 0)
        try run.finish()
        let stored = try tracker.store.histograms(run.id)
        for epoch in 0..<2 {
            for (name, values) in recorder.weights[epoch] {
                // The second fit goes on from step 3, as W&B's step counter does.
                let logged = stored["parameters/" + name]![2 + epoch]
                #expect(logged.step == 3 + epoch)
                #expect(logged.histogram.counts == Histogram(of: values, bins: 8).counts, "\(name) at epoch \(epoch)")
            }
        }
        #expect(try tracker.store.history(run.id)["loss"]!.map(\.step) == [1, 2, 3, 4])
    }

    @Test func anEpochStoppedBeforeItsLastBatchLogsNoGradients() throws {
        final class StopInSecondEpoch: Callback {
            func onBatchEnd(_ batch: Int, logs: Logs, _ training: Training) throws {
                if training.epoch == 1 && batch == 0 { training.stopTraining = true }
            }
        }
        let tracker = try Tracker(dir: temporaryStore(), systemMetricsInterval: nil)
        let run = try tracker.start(project: "p")
        let model = Sequential(seed: 6) { Dense(1, inputShape: [2]) }
        try model.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        let data = try Generators.circles(samples: 32, noise: 0.1, seed: 7)
        try model.fit(x: data.x, y: data.y, batchSize: 8, epochs: 3, callbacks: [TrackingCallback(run), StopInSecondEpoch()], verbose: 0)
        let stored = try tracker.store.histograms(run.id)
        // The first epoch's gradients are logged; the second epoch never reached its last batch.
        #expect(stored["gradients/dense/kernel"]!.map(\.step) == [1])
        #expect(stored["parameters/dense/kernel"]!.map(\.step) == [1, 2])
    }

    @Test func bufferGivenBackComesBackWithItsStorage() {
        let pool = FloatBufferPool(capacity: 100)
        var buffer = pool.take()
        buffer.append(contentsOf: (0..<40).map(Float.init))
        let storage = buffer.withUnsafeBufferPointer { $0.baseAddress }
        pool.give([consume buffer])
        let again = pool.take()
        #expect(again.isEmpty && again.capacity >= 40)
        #expect(again.withUnsafeBufferPointer { $0.baseAddress } == storage)
        #expect(pool.reused == 1)
        // Past its capacity the pool keeps nothing more.
        pool.give([[Float](repeating: 1, count: 90), [Float](repeating: 1, count: 90)])
        _ = pool.take()
        #expect(pool.take().isEmpty && pool.reused == 2)
    }

    @Test func aFailingLastWriteIsRetriedAndNothingIsLost() throws {
        let tracker = try Tracker(dir: temporaryStore(), systemMetricsInterval: nil)
        let run = try tracker.start(project: "p")
        try run.flush()  // registered
        let other = try DatabaseQueue(path: tracker.store.path)
        try other.write { try $0.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON history BEGIN SELECT RAISE(ABORT, 'refused for the test'); END") }
        for step in 1...5 { run.log(["loss": Double(step)], step: step) }
        try run.finish(wait: false)
        Thread.sleep(forTimeInterval: 1.5)  // the end write has failed at least once by now
        try other.write { try $0.execute(sql: "DROP TRIGGER refuse") }
        try run.waitUntilWritten()
        let info = try tracker.store.run(run.id)
        #expect(info.state == .finished)
        #expect(try tracker.store.history(run.id)["loss"]!.map(\.value) == [1, 2, 3, 4, 5])
        #expect(info.summary["loss"] == MetricSummary(last: 5, lastStep: 5, min: 1, max: 5, count: 5))
    }
}


struct DivergingTrainingTests {
    @Test func divergingWeightsAreLoggedWithoutKillingTheProcess() throws {
        // Dense(1), SGD at learning rate 3, MSE: the weights grow past 1e16 (where x − 0.5 == x),
        // then to infinity and NaN. The writer used to trap binning such a histogram.
        let tracker = try Tracker(dir: temporaryStore(), systemMetricsInterval: nil)
        let run = try tracker.start(project: "diverge")
        let model = Sequential(seed: 2) { Dense(1, inputShape: [3]) }
        try model.compile(optimizer: SGD(learningRate: 3), loss: .meanSquaredError)
        let x = try Matrix(rows: 8, columns: 3, values: (0..<24).map { Float($0 % 5) - 2 })
        let y = try Matrix(rows: 8, columns: 1, values: (0..<8).map { Float($0) })
        try model.fit(x: x, y: y, batchSize: 8, epochs: 60, callbacks: [TrackingCallback(run, histogramBins: 8)], verbose: 0, allowNonFiniteLoss: true)
        try run.waitUntilWritten()
        let bias = try #require(try tracker.store.histograms(run.id)["parameters/dense/bias"])
        #expect(bias.count == 60)
        // Some epoch's bias was a single huge finite value, binned; later ones are non-finite, counted apart.
        #expect(bias.contains { $0.histogram.total == 1 && Swift.abs($0.histogram.edges[0]) > 1e16 && $0.histogram.edges.allSatisfy(\.isFinite) })
        #expect(bias.contains { $0.histogram.total == 0 && $0.histogram.nonFinite.total == 1 })
        #expect(try tracker.store.run(run.id).state == .finished)
    }
}
