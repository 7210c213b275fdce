import Charts

/// The lab's figures: mean curves over seeds with the seeds' spread as a band.
enum LabCharts {
    typealias Curve = (name: String, points: [(x: Double, mean: Double, low: Double, high: Double)])

    /// Curves over training steps from seed bands.
    static func bands(title: String, xLabel: String = "training step", yLabel: String, curves: [(name: String, band: SeedBand)]) -> String {
        lines(title: title, xLabel: xLabel, yLabel: "\(yLabel) (mean; band: seeds' range)", curves: curves.map { curve in
            (curve.name, curve.band.steps.indices.map { (Double(curve.band.steps[$0]), curve.band.mean[$0], curve.band.low[$0], curve.band.high[$0]) })
        })
    }

    /// Mean lines, each with its band (drawn where low and high differ).
    static func lines(title: String, xLabel: String, yLabel: String, curves: [Curve]) -> String {
        let series = curves.map { curve in LineChart.Series(name: curve.name, points: curve.points.map { (x: $0.x, y: $0.mean) }) }
        let bands = curves.enumerated().map { index, curve in
            LineChart.Band(points: curve.points.map { (x: $0.x, low: $0.low, high: $0.high) }, seriesIndex: index)
        }
        return LineChart(title: title, xLabel: xLabel, yLabel: yLabel, series: series, bands: bands).svg()
    }
}
