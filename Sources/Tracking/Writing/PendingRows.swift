import Charts

/// What a run has logged and its writer has not written yet, one entry per logging call: the
/// training thread only appends (a `log` of eight metrics retains two arrays, not eight strings);
/// the writer takes the entries apart.
struct PendingRows {
    var metrics: [PendingMetrics] = []
    var histograms: [PendingHistograms] = []
    var system: [(time: Double, key: String, value: Double)] = []

    var isEmpty: Bool { metrics.isEmpty && histograms.isEmpty && system.isEmpty }

    /// Empties the rows but keeps the arrays' storage (the writer swaps two of these with the
    /// run's, so that logging does not grow new arrays every time), and returns the buffers of
    /// concatenated histogram values, for the tracker's pool.
    mutating func removeAllReturningBuffers() -> [[Float]] {
        var buffers: [[Float]] = []
        for histograms in histograms {
            if case .concatenated(let values, _) = histograms.sources { buffers.append(values) }
        }
        metrics.removeAll(keepingCapacity: true)
        histograms.removeAll(keepingCapacity: true)
        system.removeAll(keepingCapacity: true)
        return buffers
    }
}

/// Metric values logged at a step in one call, `keys[i]` with `values[i]`, at `time` (seconds
/// since 1970).
struct PendingMetrics {
    let step: Int
    let time: Double
    let keys: [String]
    let values: [Double]
}

/// Histograms logged at a step in one call: `names[i]` of `source(i)`, in `bins` bins.
struct PendingHistograms {
    enum Sources {
        /// The values of every histogram one after another, `counts[i]` for `names[i]`: what
        /// `TrackingCallback` logs every epoch, into a buffer from the tracker's pool that the
        /// writer gives back once binned.
        case concatenated([Float], counts: [Int])
        case each([PendingHistogram.Source])
    }

    let step: Int
    let names: [String]
    let sources: Sources
    let bins: Int

    /// The source of every histogram, in `names` order.
    var eachSource: [PendingHistogram.Source] {
        switch sources {
        case .concatenated(let values, let counts):
            var start = 0
            return counts.map { count in
                defer { start += count }
                return .floatSlice(values[start..<(start + count)])
            }
        case .each(let sources): return sources
        }
    }
}

/// A histogram to be written: the logged values are copied at `logHistogram` and binned by the
/// writer thread, off the training thread.
struct PendingHistogram {
    enum Source {
        case floats([Float])
        case floatSlice(ArraySlice<Float>)
        case doubles([Double])
        case ready(Histogram)
    }

    let step: Int
    let name: String
    let bins: Int
    let source: Source
}
