import Foundation
import Testing
@testable import Charts

/// Charts and histograms of any finite values: equal huge ones, ranges wider than the largest
/// double, a few subnormals apart; non-finite values counted apart and never drawn as "nan".
struct ExtremeValueTests {
    /// Each finite value lies in its bin and is counted once; the edges are finite and increasing.
    func expectWellBinned(_ values: [Double], bins: Int = 8, sourceLocation: SourceLocation = #_sourceLocation) {
        let h = Histogram(of: values, bins: bins)
        let finite = values.filter(\.isFinite)
        #expect(h.total == finite.count, sourceLocation: sourceLocation)
        #expect(h.edges.count == bins + 1 && h.edges.allSatisfy(\.isFinite), "\(h.edges)", sourceLocation: sourceLocation)
        #expect(zip(h.edges, h.edges.dropFirst()).allSatisfy { $0 <= $1 } && h.edges.first! < h.edges.last!, sourceLocation: sourceLocation)
        #expect(finite.allSatisfy { $0 >= h.edges.first! && $0 <= h.edges.last! }, sourceLocation: sourceLocation)
        #expect(h.nonFinite.total == values.count - finite.count, sourceLocation: sourceLocation)
    }

    @Test func histogramsOfEqualHugeValuesBin() {
        // x − 0.5 == x for these: the old ±0.5 widening gave an empty range and trapped.
        for x in [4.5e15, 1e16, -3e17, 1e300, Double.greatestFiniteMagnitude, -Double.greatestFiniteMagnitude, 5e-324] {
            expectWellBinned([x, x, x])
        }
        let h = Histogram(of: [1e16, 1e16] as [Double], bins: 4)
        #expect(h.edges.first! < 1e16 && h.edges.last! > 1e16)
    }

    @Test func histogramsOfRangesWiderThanTheLargestDoubleBin() {
        expectWellBinned([-1e308, 1e308])
        expectWellBinned([-Double.greatestFiniteMagnitude, 0, Double.greatestFiniteMagnitude])
        let h = Histogram(of: [-1e308, 0, 1e308] as [Double], bins: 2)
        #expect(h.counts == [1, 2])  // 0 is the middle edge: it goes to the upper bin
        // Float values too.
        let f = Histogram(of: [-Float.greatestFiniteMagnitude, Float.greatestFiniteMagnitude], bins: 3)
        #expect(f.counts == [1, 0, 1])
    }

    @Test func histogramsOfSubnormalSpansBin() {
        expectWellBinned([0, 5e-324, 1e-323])
        expectWellBinned([5e-324, 1e-323])
    }

    @Test func nonFiniteValuesAreCountedApart() {
        let h = Histogram(of: [1, .nan, .infinity, -.infinity, .infinity, 2, .nan, .nan] as [Double], bins: 2)
        #expect(h.total == 2)
        #expect(h.nonFinite == NonFiniteCounts(nan: 3, positiveInfinity: 2, negativeInfinity: 1))
        let none = Histogram(of: [Float.nan, -.infinity], bins: 4)
        #expect(none.total == 0 && none.nonFinite.total == 2 && none.edges == [0, 0.25, 0.5, 0.75, 1])
    }

    @Test func aRangeWithNonFiniteEndsFallsBackToTheData() {
        let h = Histogram(of: [1.0, 2, 3], bins: 2, range: -Double.infinity...Double.infinity)
        #expect(h.edges == [1, 2, 3] && h.total == 3)
    }

    @Test func lineChartsOfExtremeValuesHaveNoNaNCoordinates() throws {
        let chart = LineChart(title: "t", xLabel: "x", yLabel: "y",
                              series: [.init(name: "a", values: [-1e308, 1e308, .nan, 3]), .init(name: "b", values: [1e16, 1e16 + 2])],
                              references: [(.infinity, "inf")])
        let svg = chart.svg()
        #expect(parses(svg))
        #expect(!svg.lowercased().contains("nan\""), "a NaN coordinate blanks the chart")
        #expect(!svg.contains("=\"inf") && !svg.contains("=\"-inf"))
        // The skipped point is said, not silently dropped.
        #expect(svg.contains("1 non-finite value (NaN or ±inf) not drawn"))
        // Both series are drawn.
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
    }

    @Test func ticksOfTinyAndHugeRangesEnd() {
        // Steps below the values' ulp, subnormal ranges, overflowing ranges: finite lists, no hang.
        for (low, high) in [(1e16, 1e16 + 2), (0, 1e-323), (-1e308, 1e308), (1e300, 1.0000000001e300)] {
            let ticks = SVG.ticks(low, high)
            #expect(!ticks.isEmpty && ticks.count < 50 && ticks.allSatisfy(\.isFinite), "\(low)…\(high): \(ticks)")
        }
        #expect(SVG.n(.nan) == "0" && SVG.n(1e300) != "" && SVG.n(-2e17).hasPrefix("-2"))
    }

    @Test func histogramChartsOfExtremeAndNonFiniteHistogramsDraw() {
        let columns = [(1.0, Histogram(of: [-1e308, 1e308, .nan] as [Double], bins: 4)), (2.0, Histogram(of: [1e16, 1e16] as [Double], bins: 4))]
        let svg = HistogramChart(title: "w", columns: columns).svg()
        #expect(parses(svg))
        #expect(!svg.lowercased().contains("nan\""))
        #expect(svg.contains("not drawn: 1 NaN"))
    }

    @Test func scalesMapAnyFiniteRange() {
        let wide = LinearScale(low: -1e308, high: 1e308)
        #expect(wide.fraction(0) == 0.5 && wide.fraction(1e308) == 1 && wide.fraction(-1e308) == 0)
        let single = LinearScale(covering: [7.0, 7, .nan])
        #expect(single.low < 7 && single.high > 7 && single.fraction(7) == 0.5)
        #expect(finiteMean([1e308, 1e308, .infinity]) == 1e308)
        #expect(finiteMean([Double.nan]) == nil)
    }
}
