import Testing
@testable import Lab

@Suite struct LabStatisticsTests {
    /// NumPy's `np.percentile([1, 2, 3, 4], [15, 50, 85])` is 1.45, 2.5, 3.55 (linear interpolation).
    @Test func percentilesInterpolateLikeNumPy() {
        let values: [Float] = [4, 1, 3, 2]
        #expect(Swift.abs(LabStatistics.percentile(values, 15) - 1.45) < 1e-12)
        #expect(LabStatistics.percentile(values, 50) == 2.5)
        #expect(Swift.abs(LabStatistics.percentile(values, 85) - 3.55) < 1e-12)
        #expect(LabStatistics.percentile([], 50).isNaN)
    }

    @Test func seedBandsSkipNonFiniteValuesAndShortSeries() {
        let band = SeedBand(steps: [0, 10, 20], perSeed: [[1, 2, 3], [3, .nan], [2, 4, 5]])
        #expect(band.mean == [2, 3, 4])
        #expect(band.low == [1, 2, 3])
        #expect(band.high == [3, 4, 5])
        let empty = SeedBand(steps: [0], perSeed: [[.nan]])
        #expect(empty.mean[0].isNaN && empty.low[0].isNaN)
    }
}
