import Foundation
import Testing
import Models

struct CallbackTests {
    func tinyModel(_ lr: Double = 0.01) throws -> (Sequential, Matrix, Matrix) {
        let model = Sequential(seed: 1, inputShape: [2]) { Dense(1) }
        try model.compile(optimizer: SGD(learningRate: .constant(lr)), loss: .meanSquaredError)
        return (model, try Matrix([[1, 2], [2, 1], [0, 1], [1, 0]]), Matrix(column: [3, 3, 1, 1]))
    }

    @Test func earlyStoppingWaitsPatienceEpochsAndRestoresTheBest() throws {
        // A learning rate that makes the loss diverge after it has improved a little.
        let (model, x, y) = try tinyModel(0.02)
        let stopper = EarlyStopping(monitor: "loss", patience: 2, restoreBestWeights: true)
        let diverging = LearningRateScheduler { epoch, _ in epoch < 3 ? 0.02 : 2.0 }
        let history = try model.fit(x: x, y: y, batchSize: 4, epochs: 50, callbacks: [diverging, stopper], verbose: 0)
        let losses = try history["loss"]
        let best = losses.enumerated().min { $0.element < $1.element }!
        #expect(stopper.bestEpoch == best.offset)
        #expect(stopper.stoppedEpoch == best.offset + 2)
        #expect(history.epochs.count == best.offset + 3)
        #expect(history.stopReason?.contains("early stopping") == true)
        // The restored weights are those at the end of the best epoch: evaluating them gives that
        // epoch's end-of-epoch loss.
        #expect(try Swift.abs(model.evaluate(x: x, y: y)["loss"]! - history["end_of_epoch_loss"][best.offset]) < 1e-5)
    }

    @Test func earlyStoppingNeedsTheMonitoredKey() throws {
        let (model, x, y) = try tinyModel()
        #expect { try model.fit(x: x, y: y, epochs: 2, callbacks: [EarlyStopping(monitor: "val_loss")], verbose: 0) } throws: {
            "\($0)".contains("EarlyStopping monitors \"val_loss\"")
        }
    }

    @Test func reduceLROnPlateauCutsTheRate() throws {
        let (model, x, _) = try tinyModel(0.1)
        let reducer = ReduceLROnPlateau(monitor: "loss", factor: 0.5, patience: 2, minLearningRate: 0)
        // Keep the loss flat by feeding targets the model already predicts.
        let targets = try model.predict(x: x)
        let history = try model.fit(x: x, y: targets, batchSize: 4, epochs: 7, callbacks: [reducer], verbose: 0)
        // Epoch 0 sets the best; epochs 1–2 wait, 2 reduces (wait 2); 3–4 wait, 4 reduces; 5–6, 6 reduces.
        #expect(reducer.reductions.map(\.epoch) == [2, 4, 6])
        #expect(reducer.reductions.map(\.learningRate).enumerated().allSatisfy { Swift.abs($0.element - 0.1 * pow(0.5, Double($0.offset + 1))) < 1e-8 })
        // The epoch's logs record the rate it trained with, before the reduction at its end.
        #expect(Swift.abs(try history["learning_rate"][6] - 0.025) < 1e-8)
        #expect(Swift.abs(try history["learning_rate"][5] - 0.025) < 1e-8)
    }

    @Test func learningRateSchedulerSetsTheRateEachEpoch() throws {
        let (model, x, y) = try tinyModel()
        let history = try model.fit(x: x, y: y, epochs: 4, callbacks: [LearningRateScheduler { epoch, _ in 0.1 / Double(epoch + 1) }], verbose: 0)
        #expect(zip(try history["learning_rate"], [0.1, 0.05, 0.1 / 3, 0.025]).allSatisfy { Swift.abs($0 - $1) < 1e-7 })
    }

    @Test func terminateOnNaNNamesTheEpochAndStepAndKeepsTheHistory() throws {
        let (model, x, y) = try tinyModel()
        // A row so large that its loss overflows to infinity (NaN inputs are refused before training).
        var bad = x
        bad.values[2 * x.columns] = Float.greatestFiniteMagnitude
        #expect {
            try model.fit(x: bad, y: y, batchSize: 2, epochs: 3, shuffle: false, callbacks: [TerminateOnNaN()], verbose: 0, allowNonFiniteLoss: true)
        } throws: { error in
            guard case ModelError.nonFiniteLoss(let epoch, let step, _) = error else { return false }
            return epoch == 0 && step == 1 && "\(error)".contains("at epoch 1, step 2")
        }
        #expect(model.lastHistory.epochs.isEmpty)
    }

    /// Not throwing, it stops at the same batch and `fit` returns the diverged epoch and the reason.
    @Test func terminateOnNaNWithoutThrowingStopsAndRecordsWhy() throws {
        let (model, x, y) = try tinyModel()
        var bad = x
        bad.values[2 * x.columns] = Float.greatestFiniteMagnitude
        let stopper = TerminateOnNaN(throwing: false)
        let history = try model.fit(x: bad, y: y, batchSize: 2, epochs: 3, shuffle: false, callbacks: [stopper], verbose: 0, allowNonFiniteLoss: true)
        #expect(history.epochs == [0])
        #expect(stopper.reason == "the loss became inf at epoch 1, step 2" && history.stopReason == stopper.reason)
        #expect(try history["loss"].allSatisfy { !$0.isFinite })
    }

    @Test func modelCheckpointKeepsTheBestWeights() throws {
        let (model, x, y) = try tinyModel(0.05)
        let path = temporaryPath("best-{epoch}.safetensors")
        let checkpoint = ModelCheckpoint(path: path, monitor: "loss", saveBestOnly: true)
        let history = try model.fit(x: x, y: y, batchSize: 4, epochs: 5, callbacks: [checkpoint], verbose: 0)
        // The loss falls every epoch here, so every epoch is the best so far.
        #expect(zip(try history["loss"], try history["loss"].dropFirst()).allSatisfy { $0 > $1 })
        #expect(checkpoint.saved.count == 5)
        let restored = Sequential(inputShape: [2]) { Dense(1) }
        try restored.loadWeights(from: checkpoint.saved.last!)
        #expect(try restored.weights() == (try model.weights()))
    }

    @Test func csvLoggerWritesOneRowPerEpochAtOnce() throws {
        let (model, x, y) = try tinyModel()
        let path = temporaryPath("log.csv")
        try model.fit(x: x, y: y, epochs: 3, callbacks: [CSVLogger(path: path)], verbose: 0)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0] == "epoch,end_of_epoch_loss,learning_rate,loss")
        #expect(lines[1].hasPrefix("0,"))
        #expect(lines[3].hasPrefix("2,"))
        // Appending continues the same columns without a second header.
        try model.fit(x: x, y: y, epochs: 1, callbacks: [CSVLogger(path: path, append: true)], verbose: 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 5)
    }

    /// Records, at every epoch's start and end, the weights (copied) and, at its end, the last-batch
    /// gradients read in place.
    final class GradientRecorder: Callback {
        var before: [[String: [Float]]] = []
        var after: [[String: [Float]]] = []
        var gradients: [[String: [Float]]] = []
        var copies: [[String: [Float]]] = []
        var names: [String] = []
        var wantsBatchGradients: Bool { true }

        func onEpochBegin(_ epoch: Int, _ training: Training) throws {
            before.append(Dictionary(uniqueKeysWithValues: try training.parameterValues().map { ($0.name, $0.values) }))
        }

        func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {
            after.append(Dictionary(uniqueKeysWithValues: try training.parameterViews().map { ($0.name, $0.view.withFloats { Array($0) }) }))
            names = training.lastBatchGradientNames
            var read: [String: [Float]] = [:]
            try training.withLastBatchGradients { index, gradient in read[training.lastBatchGradientNames[index]] = Array(gradient) }
            gradients.append(read)
            copies.append(training.lastBatchGradients)
        }
    }

    @Test func lastBatchGradientsAreTheGradientsOfTheUpdate() throws {
        // One batch per epoch and plain SGD: every weight moves by −learning rate × its gradient,
        // so the update, seen from outside, gives the gradient back.
        let model = Sequential(seed: 3, inputShape: [2]) {
            Dense(4, activation: .relu)
            Dense(1)
        }
        let rate = 0.05
        try model.compile(optimizer: SGD(learningRate: .constant(rate)), loss: .meanSquaredError)
        let x = try Matrix([[1, 2], [2, 1], [0, 1], [1, 0], [0.5, -1]]), y = Matrix(column: [3, 3, 1, 1, -0.5])
        let recorder = GradientRecorder()
        try model.fit(x: x, y: y, batchSize: 5, epochs: 4, callbacks: [recorder], verbose: 0)
        #expect(recorder.names == ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"])
        for epoch in 0..<4 {
            for name in recorder.names {
                let step = zip(recorder.before[epoch][name]!, recorder.after[epoch][name]!).map { Double($0 - $1) / rate }
                let gradient = recorder.gradients[epoch][name]!
                #expect(step.count == gradient.count)
                #expect(zip(step, gradient).allSatisfy { Swift.abs($0 - Double($1)) <= 1e-4 * Swift.max(1, Swift.abs($0)) }, "epoch \(epoch) \(name)")
            }
        }
        // The copies agree with the reads in place.
        #expect(recorder.copies == recorder.gradients)
    }

    @Test func withoutACallbackThatWantsThemNoGradientsAreRead() throws {
        let (model, x, y) = try tinyModel()
        final class Probe: Callback {
            var names: [String]?
            var called = false
            func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {
                names = training.lastBatchGradientNames
                try training.withLastBatchGradients { _, _ in self.called = true }
                #expect(throws: ModelError.self) { try training.withLastBatchGradient(0) { _ in () } }
            }
        }
        let probe = Probe()
        try model.fit(x: x, y: y, epochs: 1, callbacks: [probe], verbose: 0)
        #expect(probe.names == [] && !probe.called)
    }
}
