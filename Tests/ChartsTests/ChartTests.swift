import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Charts

/// SVG that a browser can render: well-formed XML with the expected elements.
func parses(_ svg: String) -> Bool {
    let parser = XMLParser(data: Data(svg.utf8))
    return parser.parse()
}

struct ChartTests {
    @Test func histogramCountsEveryFiniteValueOnce() {
        let h = Histogram(of: [0, 0.5, 1, 1, 2, .nan, .infinity] as [Double], bins: 4)
        #expect(h.edges == [0, 0.5, 1, 1.5, 2])
        #expect(h.counts == [1, 1, 2, 1])
        #expect(h.total == 5)
        let single = Histogram(of: [3.0, 3.0], bins: 2)
        #expect(single.edges.first! < 3 && single.edges.last! > 3 && single.total == 2)
    }

    @Test func ticksAreNiceAndCoverTheRange() {
        let unit = SVG.ticks(0, 1)
        #expect(unit.count == 6 && unit.first == 0 && Swift.abs(unit.last! - 1) < 1e-12)
        let t = SVG.ticks(3, 97)
        #expect(t.first! >= 3 && t.last! <= 97 && t.count >= 4)
        #expect(t == [20, 40, 60, 80] || t == [10, 20, 30, 40, 50, 60, 70, 80, 90])
        #expect(SVG.label(0.25) == "0.25")
        #expect(SVG.label(100) == "100")
    }

    @Test func lineChartIsWellFormedWithAxesAndLegend() {
        let chart = LineChart(title: "Loss <per> epoch & more", xLabel: "epoch", yLabel: "loss",
                              series: [.init(name: "train", values: [1, 0.5, 0.25]), .init(name: "test", values: [1.2, .nan, 0.4], dashed: true)],
                              references: [(0.8, "80%")])
        let svg = chart.svg()
        #expect(parses(svg))
        #expect(svg.contains("Loss &lt;per&gt; epoch &amp; more"))
        #expect(svg.contains(">train</text>") && svg.contains(">test</text>"))
        #expect(svg.contains(">epoch</text>"))
        #expect(svg.contains("stroke-dasharray"))
        // The NaN splits the test series into two points with no neighbour: dots, not lines.
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 1)
        #expect(svg.components(separatedBy: "<circle").count - 1 == 2)
    }

    /// A band is a polygon per finite stretch, in its series' colour, and its extent widens the y axis.
    @Test func bandsAreShadedPolygonsSplitAtNonFiniteValues() {
        let points: [(x: Double, low: Double, high: Double)] = [(1, 0, 2), (2, 1, 3), (3, .nan, 4), (4, 2, 50), (5, 2, 6)]
        let chart = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "a", values: [1, 2, 3, 4, 5], color: "#123456")],
                              bands: [.init(points: points, seriesIndex: 0)])
        let svg = chart.svg()
        #expect(parses(svg))
        let polygons = svg.components(separatedBy: "<polygon class=\"band\"").dropFirst()
        #expect(polygons.count == 2)
        #expect(polygons.allSatisfy { $0.contains("fill=\"#123456\"") })
        // Each polygon goes along the highs and back along the lows: 2 × its points.
        #expect(polygons.map { $0.components(separatedBy: "points=\"")[1].split(separator: "\"")[0].split(separator: " ").count } == [4, 4])
        // The band's 50 is inside the y axis (a tick at 50 or above).
        #expect(svg.contains(">50</text>") || svg.contains(">60</text>"))
    }

    @Test func aLongLegendMakesTheChartTallerNotThePlotSmaller() {
        func chart(_ count: Int) -> String {
            LineChart(title: "t", xLabel: "x", yLabel: "y", series: (0..<count).map { .init(name: "s\($0)", values: [1, 2]) }, height: 360).svg()
        }
        // One legend row (three series) fits the given height; 30 series take ten rows.
        #expect(chart(3).contains("height=\"360\""))
        #expect(chart(30).contains("height=\"\(360 + 18 * 9)\""))
        // The plot frame is the same size either way.
        let frame = #/<rect x="64" y="36" width="[0-9.]+" height="([0-9.]+)" fill="none"/#
        #expect(chart(3).firstMatch(of: frame)?.1 == chart(30).firstMatch(of: frame)?.1)
    }

    @Test func runsOfAGroupShareAHueInShades() {
        let colors = ChartPalette.shades(groups: [0, 0, 0, 1, 2, 2])
        #expect(colors[0] == ChartPalette.color(0) && colors[3] == ChartPalette.color(1) && colors[4] == ChartPalette.color(2))
        #expect(Set(colors).count == 6)
        // Later members are lighter: every channel moves towards 255.
        func channels(_ hex: String) -> [Int] { let v = Int(hex.dropFirst(), radix: 16)!; return [v >> 16 & 255, v >> 8 & 255, v & 255] }
        #expect(zip(channels(colors[0]), channels(colors[2])).allSatisfy { $0 <= $1 } && channels(colors[0]) != channels(colors[2]))
    }

    @Test func histogramChartHasOneColumnPerStep() {
        let columns = (1...5).map { (Double($0), Histogram(of: (0..<100).map { Double($0) * Double($0 % 7) }, bins: 10)) }
        let svg = HistogramChart(title: "weights", columns: columns).svg()
        #expect(parses(svg))
        #expect(svg.contains(">weights</text>"))
        #expect(svg.contains("<rect x="))
    }
}
