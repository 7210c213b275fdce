import Models
import Runtime

/// Logs a `fit` to a run, like W&B's `WandbCallback(log_weights=True, log_gradients=True)`: after
/// every epoch (step = epoch number from 1; a later `fit` with the same callback goes on from the
/// last step, as W&B's step counter does) every log value (loss, metrics, `val_…`,
/// `end_of_epoch_…`, `learning_rate`), a histogram of every layer weight
/// (`parameters/dense/kernel` …) and of every trainable weight's gradient on the epoch's last
/// batch (`gradients/dense/kernel` …). A failing `fit` marks the run `failed` with the error; a
/// finished one marks it `finished` (unless `finishRunAtEnd` is false, to log more afterwards).
public final class TrackingCallback: Callback {
    public var readsModelAtBatchEnd: Bool { false }
    public let run: Run
    public let logWeights: Bool
    public let logGradients: Bool
    public let histogramBins: Int
    public let finishRunAtEnd: Bool
    public var wantsBatchGradients: Bool { logGradients }

    public init(_ run: Run, logWeights: Bool = true, logGradients: Bool = true, histogramBins: Int = 64, finishRunAtEnd: Bool = true) {
        self.run = run
        self.logWeights = logWeights
        self.logGradients = logGradients
        self.histogramBins = histogramBins
        self.finishRunAtEnd = finishRunAtEnd
    }

    /// The weights to log, and the histogram names (`parameters/…`, then `gradients/…`), made
    /// once: every epoch logs the same ones.
    private var parameters: [(name: String, view: VariableView)] = []
    private var gradientCount = 0
    private var histogramNames: [String]?

    /// Logs the epoch's values, then copies every weight and gradient (read in place) one after
    /// another into a buffer from the tracker's pool, which the writer bins off the training thread
    /// and gives back: once warm, logging allocates nothing.
    public func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {
        let step = firstStep + epoch
        lastStep = step
        try run.log(keys: logs.keys, values: logs.values, step: step)
        guard logWeights || logGradients else { return }
        let gradientNames = logGradients ? training.lastBatchGradientNames : []
        if histogramNames == nil || gradientNames.count != gradientCount {
            parameters = logWeights ? try training.parameterViews() : []
            gradientCount = gradientNames.count
            histogramNames = parameters.map { "parameters/" + $0.name } + gradientNames.map { "gradients/" + $0 }
            try countScalars(training)
        }
        var values = run.reusableBuffer()
        values.reserveCapacity(scalarCount)
        for parameter in parameters { parameter.view.withFloats { values.append(contentsOf: $0) } }
        if gradientCount > 0 { try training.withLastBatchGradients { _, gradient in values.append(contentsOf: gradient) } }
        if values.count != scalarCount { try countScalars(training) }
        try run.logHistograms(names: histogramNames!, concatenated: values, counts: counts, step: step, bins: histogramBins)
    }

    /// The number of values of each histogram (weights, then gradients), and their sum.
    private var counts: [Int] = []
    private var scalarCount = 0

    private func countScalars(_ training: Training) throws {
        counts = parameters.map(\.view.count)
        if gradientCount > 0 { try training.withLastBatchGradients { _, gradient in counts.append(gradient.count) } }
        scalarCount = counts.reduce(0, +)
    }

    /// Forgets the weights of an earlier `fit` (the model may have been compiled again since,
    /// with new variables, or be another model).
    public func onTrainBegin(_ training: Training) throws {
        histogramNames = nil
        parameters = []
        firstStep = lastStep + 1
    }

    /// The step of this fit's first epoch, and the last step logged.
    private var firstStep = 1
    private var lastStep = 0

    /// Finishes the run without waiting for the last write: the next run can train meanwhile (reads
    /// of the store in this process, and the process exit, wait for it).
    public func onTrainEnd(_ training: Training) throws {
        if finishRunAtEnd { try run.finish(wait: false) }
    }

    public func onTrainError(_ error: Error, _ training: Training) {
        try? run.fail("\(error)")
    }
}
