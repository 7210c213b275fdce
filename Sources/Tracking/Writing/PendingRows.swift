import Charts

/// What a run has logged and its writer has not written yet, one entry per logging call: the
/// training thread only appends (a `log` of eight metrics retains two arrays, not eight strings);
/// the writer takes the entries apart.
struct PendingRows {
    var metrics: [PendingMetrics] = []
    var histograms: [PendingHistograms] = []
    var system: [(time: Double, key: String, value: Double)] = []

    var isEmpty: Bool { metrics.isEmpty && histograms.isEmpty && system.isEmpty }

    /// Puts rows that could not be written back in front of what was logged since.
    mutating func prepend(_ earlier: PendingRows) {
        metrics = earlier.metrics + metrics
        histograms = earlier.histograms + histograms
        system = earlier.system + system
    }
}

/// Metric values logged at a step in one call, `keys[i]` with `values[i]`.
struct PendingMetrics {
    let step: Int
    let keys: [String]
    let values: [Double]
}

/// Histograms logged at a step in one call: `names[i]` of `sources[i]`, in `bins` bins.
struct PendingHistograms {
    let step: Int
    let names: [String]
    let sources: [PendingHistogram.Source]
    let bins: Int
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
