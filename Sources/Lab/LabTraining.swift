import Models
import Tracking

/// How the lab trains a network: sparse categorical cross-entropy on the logits, accuracy, the
/// test set as validation data, no shuffling surprises (the model's seed shuffles), and the run
/// logged by a `TrackingCallback` (without histograms: the lab's runs are many). A run whose loss
/// becomes NaN or infinite stops there and is reported as diverged, not as an error.
enum LabTraining {
    static let loss = Loss.sparseCategoricalCrossEntropy(fromLogits: true)

    /// Trains; returns why the run diverged (nil when it did not).
    static func fit(_ model: Sequential, data: LabData, optimizer: Optimizer, epochs: Int, batchSize: Int, run: Run?,
                    callbacks: [Callback]) throws -> String? {
        try compile(model, optimizer: optimizer)
        return try fitCompiled(model, data: data, epochs: epochs, batchSize: batchSize, run: run, callbacks: callbacks).diverged
    }

    static func compile(_ model: Sequential, optimizer: Optimizer) throws {
        try model.compile(optimizer: optimizer, loss: loss, metrics: [.accuracy])
    }

    /// Fits a compiled model; a run given is logged by a `TrackingCallback`.
    static func fitCompiled(_ model: Sequential, data: LabData, epochs: Int, batchSize: Int, run: Run?,
                            callbacks: [Callback]) throws -> (history: History, diverged: String?) {
        // A diverged run stops there and is a result, not an error.
        let divergence = TerminateOnNaN(throwing: false)
        let tracking: [Callback] = run.map { [TrackingCallback($0, logWeights: false, logGradients: false)] } ?? []
        let history = try model.fit(x: data.train.x, y: data.train.y, batchSize: batchSize, epochs: epochs, validationData: data.test,
                             callbacks: [divergence] + callbacks + tracking, verbose: 0, evaluateTrainingSet: true, allowNonFiniteLoss: true)
        return (history, divergence.reason)
    }

    /// Accuracy on the test set in inference mode.
    static func testAccuracy(_ model: Sequential, _ data: LabData) throws -> Double {
        try model.evaluate(x: data.test.x, y: data.test.y, batchSize: 1024)["accuracy"] ?? .nan
    }

    /// Steps per epoch for the training set.
    static func stepsPerEpoch(_ data: LabData, batchSize: Int) -> Int { (data.train.x.rows + batchSize - 1) / batchSize }
}
