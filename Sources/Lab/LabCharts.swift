import Charts

/// The lab's figures: mean curves over seeds with the seeds' spread as a band.
enum LabCharts {
    static func bands(title: String, xLabel: String = "training step", yLabel: String, curves: [(name: String, band: SeedBand)],
                      identifier: String = "lab") -> String {
        let series = curves.map { curve in
            LineChart.Series(name: curve.name, points: zip(curve.band.steps, curve.band.mean).map { (x: Double($0), y: $1) })
        }
        let bands = curves.enumerated().map { index, curve in
            LineChart.Band(points: curve.band.steps.indices.map { (x: Double(curve.band.steps[$0]), low: curve.band.low[$0], high: curve.band.high[$0]) },
                           seriesIndex: index)
        }
        return LineChart(title: title, xLabel: xLabel, yLabel: "\(yLabel) (mean; band: seeds' range)", series: series, bands: bands, identifier: identifier).svg()
    }
}
