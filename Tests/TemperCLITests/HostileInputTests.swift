import Foundation
import Testing
import ProcessSupport
@testable import Tracking

/// Names, tags, notes, config and metric names chosen to attack a terminal or a spreadsheet, and
/// malformed options: shown escaped, exported inert, refused with a message.
@Suite(.serialized)
struct HostileInputTests {
    static let escape = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{1B}[1A"

    /// A store with one run whose every text is hostile, and one plain run.
    func hostileStore() throws -> (dir: String, id: String) {
        let dir = temporaryStore()
        let tracker = try Tracker(dir: dir, systemMetricsInterval: nil)
        let run = try tracker.start(project: "p", name: "evil\(Self.escape)\nforged  row  finished", config: ["key\(Self.escape)": .string("value\r\u{9B}31m")],
                                    tags: ["tag\u{202E}gnp.exe"], notes: "=HYPERLINK(\"http://x\")\u{1B}[8m")
        run.log(["loss\(Self.escape)": -0.5, "=1+1": 2], step: 1)
        try run.finish()
        let plain = try tracker.start(project: "p", name: "plain")
        plain.log(["loss\(Self.escape)": 0.25], step: 1)
        try plain.finish()
        return (dir, run.id)
    }

    func expectInert(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let controls = text.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E }
        #expect(controls.isEmpty, "raw control characters \(controls.map { String($0.value, radix: 16) }) in: \(text.debugDescription)", sourceLocation: sourceLocation)
    }

    @Test func terminalOutputShowsControlCharactersEscaped() throws {
        let (dir, id) = try hostileStore()
        let table = try runTemper(["runs", "--dir", dir, "--columns", "name,state,tags"])
        #expect(table.status == 0)
        expectInert(table.output)
        #expect(table.output.contains("evil\\e]0;pwned\\x07\\e[2J\\e[1A\\nforged"))
        // Header, rule, two runs, the count: no forged row.
        #expect(table.output.split(separator: "\n").count == 5, "\(table.output)")
        let show = try runTemper(["run", "show", "--dir", dir, id])
        #expect(show.status == 0)
        expectInert(show.output)
        #expect(show.output.contains("\\u{202e}") && show.output.contains("\\x9b"))
        let delete = try runTemper(["runs", "delete", "--dir", dir, id], input: "n\n")
        expectInert(delete.output)
        #expect(delete.output.contains("nothing deleted"))
        let error = try runTemper(["runs", "--dir", dir, "--columns", "nope\u{1B}[2J"])
        #expect(error.status != 0)
        expectInert(error.errors)
    }

    @Test func csvCellsThatWouldBeFormulasAreNeutralisedAndNumbersStayNumbers() throws {
        let (dir, _) = try hostileStore()
        let csv = try runTemper(["runs", "export", "--dir", dir, "--project", "p"])
        #expect(csv.status == 0)
        // No cell starts with = + - @ unless it is a number.
        for line in csv.output.split(separator: "\n") {
            for cell in line.split(separator: ",", omittingEmptySubsequences: false) {
                let text = cell.hasPrefix("\"") ? String(cell.dropFirst()) : String(cell)
                if let first = text.first, "=+-@".contains(first) {
                    #expect(Double(text) != nil, "live formula cell \(text)")
                }
            }
        }
        #expect(csv.output.contains("\"'=HYPERLINK(\"\"http://x\"\")"))
        #expect(csv.output.contains(",-0.5,") || csv.output.contains(",-0.5\n"), "the negative loss stays a number")
        #expect(csv.output.contains("'=1+1"))
    }

    @Test func malformedFiltersAreErrors() throws {
        let (dir, _) = try hostileStore()
        for filter in ["loss>abc", "loss>", "state==finished", "tags~", "state=done", "=3", "nofilter", "=1+1=abc"] {
            let result = try runTemper(["runs", "--dir", dir, "--filter", filter])
            #expect(result.status != 0, "--filter \(filter) exited 0: \(result.output)")
            #expect(result.errors.contains("filter") || result.errors.contains("no run has"), "\(filter): \(result.errors)")
        }
        #expect(try runTemper(["runs", "--dir", dir, "--filter", "state=finished", "--filter", "tags~gnp"]).status == 0)
    }

    @Test func optionsNamingNothingThatExistsAreErrors() throws {
        let (dir, _) = try hostileStore()
        let out = temporaryStore() + "/r.html"
        let cases: [([String], String)] = [
            (["runs", "--dir", dir, "--columns", "name,nosuch"], "no run has \"nosuch\""),
            (["runs", "--dir", dir, "--columns", ""], "names nothing"),
            (["report", "--dir", dir, "--metrics", "nosuch", "--out", out], "nosuch"),
            (["report", "--dir", dir, "--histograms", "kernel", "--out", out], "no histogram name contains \"kernel\""),
            (["casestudy", "batchnorm", "--variants", "", "--no-track"], "empty variant"),
            (["casestudy", "batchnorm", "--variants", "after,after", "--no-track"], "twice"),
            (["casestudy", "batchnorm", "--threads", "0", "--no-track"], "--threads"),
            (["casestudy", "batchnorm", "--threads", "-2", "--no-track"], "--threads"),
        ]
        for (arguments, message) in cases {
            let result = try runTemper(arguments)
            #expect(result.status != 0 && result.errors.contains(message), "\(arguments): \(result.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func aReportWithoutProjectUsesTheOnlyOne() throws {
        let (dir, _) = try hostileStore()
        let out = temporaryStore() + "/r.html"
        let one = try runTemper(["report", "--dir", dir, "--out", out])
        #expect(one.status == 0 && FileManager.default.fileExists(atPath: out), "\(one.errors)")
        let tracker = try Tracker(dir: dir, systemMetricsInterval: nil)
        try tracker.start(project: "second").finish()
        let two = try runTemper(["report", "--dir", dir, "--out", out])
        #expect(two.status != 0 && two.errors.contains("choose one with --project") && two.errors.contains("second"))
    }

    @Test func dotPrintsTheOptimizedStageByDefault() throws {
        let result = try runTemper(["dot"])
        #expect(result.status == 0 && result.output.hasPrefix("digraph"), "\(result.errors)")
        let optimized = try runTemper(["dot", "--stage", "optimized"])
        #expect(result.output == optimized.output)
    }

    @Test func runsJSONIsDocumentedAsJSONLines() throws {
        let help = try runTemper(["runs", "list", "--help"])
        #expect(help.output.contains("JSON Lines"))
    }
}

struct ExtremeMetricTests {
    @Test func runShowAndTheReportHandleAnyFiniteAndNonFiniteValues() throws {
        let dir = temporaryStore()
        let run = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "x", name: "wild")
        for (step, value) in [-1e308, 1e308, .nan, .infinity, 3].enumerated() { run.log(["loss": value, "acc": 1e16], step: step) }
        run.logHistogram(name: "w", values: [1e16, 1e16], step: 0)
        try run.finish()
        let show = try runTemper(["run", "show", "--dir", dir, "wild"])
        #expect(show.status == 0, "\(show.errors)")
        #expect(show.output.contains("2 non-finite"))
        let out = temporaryStore() + "/r.html"
        let report = try runTemper(["report", "--dir", dir, "--out", out, "--histograms", "all"])
        #expect(report.status == 0, "\(report.errors)")
        let html = String(decoding: contents(out), as: UTF8.self)
        #expect(!html.contains("\"-nan\"") && !html.contains("\"nan\"") && !html.contains("=\"inf"))
        #expect(html.contains("non-finite value"))
    }
}
