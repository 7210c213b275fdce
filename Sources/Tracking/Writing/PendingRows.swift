import Charts

/// What a run has logged and its writer has not written yet.
struct PendingRows {
    var metrics: [(step: Int, key: String, value: Double)] = []
    var histograms: [PendingHistogram] = []
    var system: [(time: Double, key: String, value: Double)] = []

    var isEmpty: Bool { metrics.isEmpty && histograms.isEmpty && system.isEmpty }

    /// Puts rows that could not be written back in front of what was logged since.
    mutating func prepend(_ earlier: PendingRows) {
        metrics = earlier.metrics + metrics
        histograms = earlier.histograms + histograms
        system = earlier.system + system
    }
}

/// A histogram to be written: the logged values are copied at `logHistogram` and binned by the
/// writer thread, off the training thread.
struct PendingHistogram {
    enum Source {
        case floats([Float])
        case doubles([Double])
        case ready(Histogram)
    }

    let step: Int
    let name: String
    let bins: Int
    let source: Source

    var histogram: Histogram {
        switch source {
        case .floats(let values): Histogram(of: values, bins: bins)
        case .doubles(let values): Histogram(of: values, bins: bins)
        case .ready(let histogram): histogram
        }
    }
}
