/// Histograms over time as a standalone SVG heatmap — like the weight and gradient panels of
/// Weights & Biases: one column per step (epoch), value on the vertical axis, colour by a bin's
/// count relative to the fullest bin of its step (white to dark blue, square-root scale so the
/// tails stay visible), with axes, a title and a labelled colour key.
public struct HistogramChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// (step, histogram) pairs; the bins are re-binned onto a common value range.
    public var columns: [(step: Double, histogram: Histogram)]
    public var width: Double
    public var height: Double
    public var bins: Int

    public init(title: String, xLabel: String = "epoch", yLabel: String = "value", columns: [(step: Double, histogram: Histogram)],
                bins: Int = 40, width: Double = 640, height: Double = 320) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.columns = columns
        self.bins = bins
        self.width = width
        self.height = height
    }

    public func svg() -> String {
        let left = 64.0, right = 84.0, top = 36.0, bottom = 44.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let scale = LinearScale(covering: columns.flatMap { [$0.histogram.edges.first ?? .nan, $0.histogram.edges.last ?? .nan] })
        let (low, high) = (scale.low, scale.high)
        let nonFinite = columns.reduce(NonFiniteCounts()) { $0 + $1.histogram.nonFinite }
        let steps = columns.map(\.step)
        let firstStep = steps.min() ?? 0, lastStep = steps.max() ?? 1
        let columnWidth = plotWidth / Double(Swift.max(columns.count, 1))
        let rowHeight = plotHeight / Double(bins)
        func py(_ v: Double) -> Double { top + (1 - scale.fraction(v)) * plotHeight }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(SVG.n(width))\" height=\"\(SVG.n(height))\" viewBox=\"0 0 \(SVG.n(width)) \(SVG.n(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"\(SVG.escape(title))\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        out += "<text x=\"\(SVG.n(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(SVG.escape(title))</text>\n"
        if nonFinite.total > 0 {
            out += "<text x=\"\(SVG.n(left + plotWidth))\" y=\"\(SVG.n(top - 6))\" text-anchor=\"end\" fill=\"#b00\" class=\"non-finite\">not drawn: \(nonFinite.description) over all steps</text>\n"
        }
        for (c, column) in columns.enumerated() {
            let h = column.histogram
            let total = Double(Swift.max(h.total, 1))
            // Re-bin onto the common grid by bin centres.
            var shares = [Double](repeating: 0, count: bins)
            for (k, count) in h.counts.enumerated() where count > 0 {
                guard k + 1 < h.edges.count else { break }
                let position = scale.fraction(h.edges[k] / 2 + h.edges[k + 1] / 2) * Double(bins)
                guard position.isFinite else { continue }
                let row = Swift.min(Swift.max(Int(Swift.max(Swift.min(position, 1e9), -1e9)), 0), bins - 1)
                shares[row] += Double(count) / total
            }
            let maxShare = shares.max() ?? 0
            for (row, share) in shares.enumerated() where share > 0 {
                // Square root: the tails stay visible next to a dominant bin.
                let intensity = maxShare > 0 ? (share / maxShare).squareRoot() : 0
                let y = top + plotHeight - Double(row + 1) * rowHeight
                out += "<rect x=\"\(SVG.n(left + Double(c) * columnWidth))\" y=\"\(SVG.n(y))\" width=\"\(SVG.n(columnWidth + 0.3))\" height=\"\(SVG.n(rowHeight + 0.3))\" fill=\"\(Self.blue(intensity))\"/>\n"
            }
        }
        for t in SVG.ticks(low, high) {
            out += "<line x1=\"\(SVG.n(left - 4))\" y1=\"\(SVG.n(py(t)))\" x2=\"\(SVG.n(left))\" y2=\"\(SVG.n(py(t)))\" stroke=\"#444\"/>\n"
            out += "<text x=\"\(SVG.n(left - 6))\" y=\"\(SVG.n(py(t) + 4))\" text-anchor=\"end\" fill=\"#444\">\(SVG.label(t))</text>\n"
        }
        if lastStep > firstStep {
            for t in SVG.ticks(firstStep, lastStep, count: 8) {
                let x = left + (t - firstStep) / (lastStep - firstStep) * (plotWidth - columnWidth) + columnWidth / 2
                out += "<line x1=\"\(SVG.n(x))\" y1=\"\(SVG.n(top + plotHeight))\" x2=\"\(SVG.n(x))\" y2=\"\(SVG.n(top + plotHeight + 4))\" stroke=\"#444\"/>\n"
                out += "<text x=\"\(SVG.n(x))\" y=\"\(SVG.n(top + plotHeight + 16))\" text-anchor=\"middle\" fill=\"#444\">\(SVG.label(t))</text>\n"
            }
        }
        out += "<rect x=\"\(SVG.n(left))\" y=\"\(SVG.n(top))\" width=\"\(SVG.n(plotWidth))\" height=\"\(SVG.n(plotHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
        out += "<text x=\"\(SVG.n(left + plotWidth / 2))\" y=\"\(SVG.n(top + plotHeight + 34))\" text-anchor=\"middle\">\(SVG.escape(xLabel))</text>\n"
        out += "<text transform=\"translate(16 \(SVG.n(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(SVG.escape(yLabel))</text>\n"
        // Colour key.
        let keyX = left + plotWidth + 20
        for i in 0..<10 {
            let y = top + plotHeight - Double(i + 1) * plotHeight / 10
            out += "<rect x=\"\(SVG.n(keyX))\" y=\"\(SVG.n(y))\" width=\"12\" height=\"\(SVG.n(plotHeight / 10 + 0.3))\" fill=\"\(Self.blue(Double(i) / 9))\"/>\n"
        }
        // Intensity is the square root of a bin's count over its step's fullest bin.
        for (fraction, label) in [(1.0, "max"), (0.5, "25%"), (0.0, "0")] {
            out += "<text x=\"\(SVG.n(keyX + 16))\" y=\"\(SVG.n(top + (1 - fraction) * plotHeight + 4))\" fill=\"#444\">\(label)</text>\n"
        }
        out += "<text transform=\"translate(\(SVG.n(keyX + 52)) \(SVG.n(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" fill=\"#444\">count / step's fullest bin (√)</text>\n"
        out += "</svg>\n"
        return out
    }

    /// White (0) to dark blue (1).
    static func blue(_ t: Double) -> String {
        let v = Swift.min(Swift.max(t, 0), 1)
        let r = Int(255 - v * (255 - 8)), g = Int(255 - v * (255 - 48)), b = Int(255 - v * (255 - 107))
        return "#" + [r, g, b].map { String(format: "%02x", $0) }.joined()
    }
}

import Foundation
