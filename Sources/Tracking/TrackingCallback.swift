import Models

/// Logs a `fit` to a run, like W&B's `WandbCallback(log_weights=True, log_gradients=True)`: after
/// every epoch (step = epoch number from 1) every log value (loss, metrics, `val_…`,
/// `end_of_epoch_…`, `learning_rate`), a histogram of every layer weight
/// (`parameters/dense/kernel` …) and of every trainable weight's gradient on the epoch's last
/// batch (`gradients/dense/kernel` …). A failing `fit` marks the run `failed` with the error; a
/// finished one marks it `finished` (unless `finishRunAtEnd` is false, to log more afterwards).
public final class TrackingCallback: Callback {
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

    /// Histogram names (`parameters/…`, then `gradients/…`) and the raw gradient names to look up,
    /// made once: every epoch logs the same names.
    private var histogramNames: [String]?
    private var gradientNames: [String] = []

    public func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {
        try run.log(keys: logs.keys, values: logs.values, step: epoch + 1)
        guard logWeights || logGradients else { return }
        let parameters = logWeights ? try training.parameterValues() : []
        if histogramNames == nil {
            gradientNames = logGradients ? training.lastBatchGradients.keys.sorted() : []
            histogramNames = parameters.map { "parameters/" + $0.name } + gradientNames.map { "gradients/" + $0 }
        }
        var names = histogramNames!, values = parameters.map(\.values)
        for name in gradientNames {
            if let gradient = training.lastBatchGradients[name] {
                values.append(gradient)
            } else {  // not computed this epoch: left out
                names.remove(at: values.count)
            }
        }
        try run.logHistograms(names: names, values: values, step: epoch + 1, bins: histogramBins)
    }

    /// Finishes the run without waiting for the last write: the next run can train meanwhile (reads
    /// of the store in this process, and the process exit, wait for it).
    public func onTrainEnd(_ training: Training) throws {
        if finishRunAtEnd { try run.finish(wait: false) }
    }

    public func onTrainError(_ error: Error, _ training: Training) {
        try? run.fail("\(error)")
    }
}
