import Foundation
import Testing
import ProcessSupport
import Tracking

struct RunsTableTests {
    static func runs() throws -> [RunInfo] {
        let dir = temporaryStore("table")
        let tracker = try Tracker(dir: dir, systemMetricsInterval: nil)
        for (name, accuracy, tags, seed) in [("a", 0.7, ["bn"], 1), ("b", 0.9, ["bn", "after"], 2), ("c", 0.8, [], 3)] {
            let run = try tracker.start(project: "t", name: name, config: ["seed": .int(seed), "opt": ["lr": 0.1]], tags: tags)
            run.log(["val_accuracy": accuracy - 0.1], step: 1)
            run.log(["val_accuracy": accuracy], step: 2)
            if name == "c" { try run.fail("boom") } else { try run.finish() }
        }
        return try RunStore(directory: dir).runs(project: "t")
    }

    @Test func filtersSortAndColumns() throws {
        let runs = try Self.runs()
        let sorted = try RunsTable(sort: "-val_accuracy").rows(runs)
        #expect(sorted.runs.map(\.name) == ["b", "c", "a"])
        #expect(sorted.columns == ["name", "id", "state", "tags", "val_accuracy", "runtime"])
        for empty in ["", "-"] {  // said "no run has \"\"" before
            #expect { try RunsTable(sort: empty).rows(runs) } throws: { "\($0)".contains("sort names a column (descending as -column") }
        }
        let finished = try RunsTable(filters: [try .init("state=finished")], sort: "name").rows(runs)
        #expect(finished.runs.map(\.name) == ["a", "b"])
        #expect(try RunsTable(filters: [try .init("val_accuracy>0.75")]).rows(runs).runs.map(\.name).sorted() == ["b", "c"])
        #expect(try RunsTable(filters: [try .init("tags~after")]).rows(runs).runs.map(\.name) == ["b"])
        #expect(try RunsTable(filters: [try .init("config.seed>=2"), try .init("config.opt.lr=0.1")]).rows(runs).runs.count == 2)
        let custom = try RunsTable(sort: "config.seed", columns: ["name", "val_accuracy.min", "config.seed"]).rows(runs)
        #expect(custom.cells == [["a", "0.6000", "1"], ["b", "0.8000", "2"], ["c", "0.7000", "3"]])
        #expect(throws: TrackingError.self) { try RunsTable.Filter("no operator") }
    }

    @Test func aRunWithoutTheValueFailsANumericFilterAndAnUnknownColumnIsAnError() throws {
        var runs = try Self.runs()
        let dir = temporaryStore("table-missing")
        let plain = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "t", name: "d")
        plain.log(["loss": 1], step: 1)
        try plain.finish()
        runs += try RunStore(directory: dir).runs(project: "t")
        // d never logged val_accuracy: it is neither below nor above 0.5.
        #expect(try RunsTable(filters: [try .init("val_accuracy<0.5")]).rows(runs).runs.isEmpty)
        #expect(try RunsTable(filters: [try .init("val_accuracy>=0.5")]).rows(runs).runs.map(\.name).sorted() == ["a", "b", "c"])
        #expect(try RunsTable(filters: [try .init("val_accuracy!=0.9")]).rows(runs).runs.map(\.name).sorted() == ["a", "c", "d"])
        // A misspelt metric is an error naming the ones that exist.
        #expect { try RunsTable(filters: [try .init("val_acc<0.5")]).rows(runs) } throws: { "\($0)".contains("no run has \"val_acc\"") && "\($0)".contains("val_accuracy") }
        #expect { try RunsTable(sort: "-val_acc").rows(runs) } throws: { "\($0)".contains("no run has") }
    }

    @Test func durationsReadLikeTheDecksTable() {
        #expect(HTMLReport.formatDuration(5.25) == "5.2s" || HTMLReport.formatDuration(5.25) == "5.3s")
        #expect(HTMLReport.formatDuration(125) == "2m 5s")
        #expect(HTMLReport.formatDuration(0.0254) == "25ms" && HTMLReport.formatDuration(0.9999) == "1.0s")
        #expect(HTMLReport.formatDuration(3 * 3600 + 62) == "3h 1m 2s")
        #expect(HTMLReport.formatDuration(86_400 + 7 * 3600 + 56 * 60 + 5) == "1d 7h 56m 5s")
    }
}
