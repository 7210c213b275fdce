/// A line chart as a standalone SVG: axes with nice ticks and labels, a title, a legend, optional
/// reference lines (e.g. an 80% threshold). Series may be solid or dashed.
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var color: String?
        public var dashed: Bool

        public init(name: String, points: [(x: Double, y: Double)], color: String? = nil, dashed: Bool = false) {
            self.name = name
            self.points = points
            self.color = color
            self.dashed = dashed
        }

        /// A series over 1, 2, 3 … (epochs) from a list of values (non-finite values leave gaps).
        public init(name: String, values: [Double], color: String? = nil, dashed: Bool = false) {
            self.init(name: name, points: values.enumerated().map { (Double($0.offset + 1), $0.element) }, color: color, dashed: dashed)
        }
    }

    /// A shaded area between two curves over the same x values (a spread over seeds, say), drawn
    /// under the lines in its series' colour.
    public struct Band: Sendable {
        /// `(x, low, high)` per point; non-finite points leave gaps.
        public var points: [(x: Double, low: Double, high: Double)]
        /// The index of the series whose colour it takes.
        public var seriesIndex: Int

        public init(points: [(x: Double, low: Double, high: Double)], seriesIndex: Int) {
            self.points = points
            self.seriesIndex = seriesIndex
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Shaded bands under the series.
    public var bands: [Band]
    /// Fixed y range (default: the data's, padded).
    public var yRange: ClosedRange<Double>?
    /// Horizontal reference lines with labels.
    public var references: [(y: Double, label: String)]
    public var width: Double
    public var height: Double
    /// A document-unique prefix for element ids (several charts inline in one page).
    public var identifier: String

    public init(title: String, xLabel: String, yLabel: String, series: [Series], bands: [Band] = [], yRange: ClosedRange<Double>? = nil,
                references: [(y: Double, label: String)] = [], width: Double = 640, height: Double = 360, identifier: String = "chart") {
        self.bands = bands
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.yRange = yRange
        self.references = references
        self.width = width
        self.height = height
        self.identifier = identifier
    }

    /// The chart as an `<svg>` element (with XML namespace, usable as a file or inline in HTML).
    /// `height` holds the plot and one legend row; each further legend row (three series a row)
    /// makes the chart taller rather than the plot smaller.
    public func svg() -> String {
        let left = 64.0, right = 16.0, top = 36.0
        let legendRows = Double(Swift.max((series.count + 2) / 3, 1))
        let plotWidth = width - left - right, plotHeight = height - top - 48 - 18
        let height = self.height + 18 * (legendRows - 1)
        let points = series.flatMap(\.points) + bands.flatMap { $0.points.flatMap { [(x: $0.x, y: $0.low), (x: $0.x, y: $0.high)] } }
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        let skipped = points.count - finite.count
        let xs = finite.map(\.x)
        var xScale = LinearScale(covering: xs)
        if let first = xs.first, xs.allSatisfy({ $0 == first }) { xScale = LinearScale(low: first - 1, high: first + 1) }
        var yScale: LinearScale
        if let yRange {
            yScale = LinearScale(low: yRange.lowerBound, high: yRange.upperBound)
        } else {
            // A constant is centred with a range proportional to its size; any range is padded 5%.
            let ys = finite.map(\.y) + references.map(\.y)
            yScale = LinearScale(covering: ys)
            if let only = ys.first(where: \.isFinite), ys.allSatisfy({ !$0.isFinite || $0 == only }) {
                let pad = only == 0 ? 1 : Swift.abs(only) * 0.5
                yScale = LinearScale(low: only - pad, high: only + pad)
            }
            yScale = yScale.padded(by: 0.05)
        }
        let (xLow, xHigh, yLow, yHigh) = (xScale.low, xScale.high, yScale.low, yScale.high)
        func px(_ x: Double) -> Double { left + xScale.fraction(x) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - yScale.fraction(y)) * plotHeight }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(SVG.n(width))\" height=\"\(SVG.n(height))\" viewBox=\"0 0 \(SVG.n(width)) \(SVG.n(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"\(SVG.escape(title))\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        out += "<text x=\"\(SVG.n(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(SVG.escape(title))</text>\n"
        if skipped > 0 {
            // Non-finite values leave gaps in their lines: say how many, so a gap is not a mystery.
            out += "<text x=\"\(SVG.n(left + plotWidth))\" y=\"\(SVG.n(top - 6))\" text-anchor=\"end\" fill=\"#b00\" class=\"non-finite\">\(skipped) non-finite value\(skipped == 1 ? "" : "s") (NaN or ±inf) not drawn</text>\n"
        }
        // Grid and ticks.
        for t in SVG.ticks(yLow, yHigh) {
            out += "<line x1=\"\(SVG.n(left))\" y1=\"\(SVG.n(py(t)))\" x2=\"\(SVG.n(left + plotWidth))\" y2=\"\(SVG.n(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text x=\"\(SVG.n(left - 6))\" y=\"\(SVG.n(py(t) + 4))\" text-anchor=\"end\" fill=\"#444\">\(SVG.label(t))</text>\n"
        }
        for t in SVG.ticks(xLow, xHigh, count: 8) {
            out += "<line x1=\"\(SVG.n(px(t)))\" y1=\"\(SVG.n(top + plotHeight))\" x2=\"\(SVG.n(px(t)))\" y2=\"\(SVG.n(top + plotHeight + 4))\" stroke=\"#444\"/>\n"
            out += "<text x=\"\(SVG.n(px(t)))\" y=\"\(SVG.n(top + plotHeight + 16))\" text-anchor=\"middle\" fill=\"#444\">\(SVG.label(t))</text>\n"
        }
        out += "<rect x=\"\(SVG.n(left))\" y=\"\(SVG.n(top))\" width=\"\(SVG.n(plotWidth))\" height=\"\(SVG.n(plotHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
        out += "<text x=\"\(SVG.n(left + plotWidth / 2))\" y=\"\(SVG.n(top + plotHeight + 34))\" text-anchor=\"middle\">\(SVG.escape(xLabel))</text>\n"
        out += "<text transform=\"translate(16 \(SVG.n(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(SVG.escape(yLabel))</text>\n"
        for reference in references where reference.y.isFinite {
            out += "<line x1=\"\(SVG.n(left))\" y1=\"\(SVG.n(py(reference.y)))\" x2=\"\(SVG.n(left + plotWidth))\" y2=\"\(SVG.n(py(reference.y)))\" stroke=\"#888\" stroke-dasharray=\"2 3\"/>\n"
            out += "<text x=\"\(SVG.n(left + plotWidth - 4))\" y=\"\(SVG.n(py(reference.y) - 4))\" text-anchor=\"end\" fill=\"#666\">\(SVG.escape(reference.label))</text>\n"
        }
        // Series, clipped to the plot; bands under them.
        out += "<clipPath id=\"\(SVG.escape(identifier))-plot\"><rect x=\"\(SVG.n(left))\" y=\"\(SVG.n(top))\" width=\"\(SVG.n(plotWidth))\" height=\"\(SVG.n(plotHeight))\"/></clipPath>\n"
        for band in bands {
            let color = series.indices.contains(band.seriesIndex) ? series[band.seriesIndex].color ?? SVG.color(band.seriesIndex) : SVG.color(band.seriesIndex)
            for run in Self.finiteRuns(band.points) where run.count > 1 {
                let upper = run.map { "\(SVG.n(px($0.x))),\(SVG.n(py($0.high)))" }
                let lower = run.reversed().map { "\(SVG.n(px($0.x))),\(SVG.n(py($0.low)))" }
                out += "<polygon class=\"band\" clip-path=\"url(#\(SVG.escape(identifier))-plot)\" fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\" points=\"\((upper + lower).joined(separator: " "))\"/>\n"
            }
        }
        for (i, s) in series.enumerated() {
            let color = s.color ?? SVG.color(i)
            var segments: [[String]] = [[]]
            for p in s.points {
                if p.x.isFinite && p.y.isFinite {
                    segments[segments.count - 1].append("\(SVG.n(px(p.x))),\(SVG.n(py(p.y)))")
                } else if !segments[segments.count - 1].isEmpty {
                    segments.append([])
                }
            }
            // A point with no neighbour (a run sampled once, a value between gaps) is a dot.
            for segment in segments where segment.count == 1 {
                let xy = segment[0].split(separator: ",")
                out += "<circle clip-path=\"url(#\(SVG.escape(identifier))-plot)\" cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"3\" fill=\"\(color)\"><title>\(SVG.escape(s.name))</title></circle>\n"
            }
            for segment in segments where segment.count > 1 {
                out += "<polyline clip-path=\"url(#\(SVG.escape(identifier))-plot)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"\(s.dashed ? " stroke-dasharray=\"5 3\"" : "") points=\"\(segment.joined(separator: " "))\"><title>\(SVG.escape(s.name))</title></polyline>\n"
            }
        }
        // Legend below the axis label, three entries per row.
        for (i, s) in series.enumerated() {
            let column = Double(i % 3), row = Double(i / 3)
            let x = left + column * plotWidth / 3, y = top + plotHeight + 50 + row * 18
            let color = s.color ?? SVG.color(i)
            out += "<line x1=\"\(SVG.n(x))\" y1=\"\(SVG.n(y - 4))\" x2=\"\(SVG.n(x + 22))\" y2=\"\(SVG.n(y - 4))\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"5 3\"" : "")/>\n"
            out += "<text x=\"\(SVG.n(x + 28))\" y=\"\(SVG.n(y))\">\(SVG.escape(s.name))</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    /// The stretches of a band's points between non-finite ones.
    static func finiteRuns(_ points: [(x: Double, low: Double, high: Double)]) -> [[(x: Double, low: Double, high: Double)]] {
        var runs: [[(x: Double, low: Double, high: Double)]] = [[]]
        for p in points {
            if p.x.isFinite && p.low.isFinite && p.high.isFinite {
                runs[runs.count - 1].append(p)
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        return runs
    }
}
