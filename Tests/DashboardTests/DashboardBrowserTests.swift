import Foundation
import Hummingbird
import HummingbirdTesting
import Models
import Testing
import Tracking
import Tuning
@testable import Dashboard

/// The pages in a real headless Chromium: they load without console errors, draw their charts
/// with the expected series, filter and sort, update without a reload when a run logs, and keep
/// hostile names inert. `TEMPER_SCREENSHOTS=DIR` saves a 1280×800 screenshot of each page.
@Suite(.serialized)
struct DashboardBrowserTests {
    /// A small sweep (6 trials of the deck's model on circles) in the store, in a hostile project name.
    func addSweep(_ dir: String) throws -> String {
        let data = try Generators.circles(samples: 120, noise: 0.1, seed: 1)
        let train = try data.rows(0..<60), test = try data.rows(60..<120)
        let tuner = try RandomSearch(objective: .maximize("val_accuracy"), maxTrials: 6, seed: 2, directory: dir, projectName: "<img src=x onerror=window.__xss=3>") { hp in
            let model = try Sequential {
                Dense(try hp.int("units", min: 4, max: 16, step: 4), activation: .relu, inputShape: [2])
                Dense(1, activation: .sigmoid)
            }
            try model.compile(optimizer: Adam(learningRate: .constant(try hp.float("learning_rate", min: 1e-3, max: 1e-1, sampling: .log))), loss: .binaryCrossEntropy, metrics: [.accuracy])
            return model
        }
        tuner.earlyTermination = EarlyTermination.asha(try ASHA(minIter: 2, eta: 2, direction: .maximize))
        try tuner.search(x: train.x, y: train.y, epochs: 6, batchSize: 16, validationData: (test.x, test.y), verbose: 0)
        return try #require(tuner.sweep?.info.id)
    }

    @Test func thePagesLoadUpdateLiveAndKeepHostileNamesInert() async throws {
        try await onOwnThread { try await pagesLoadUpdateLiveAndKeepHostileNamesInert() }
    }

    func pagesLoadUpdateLiveAndKeepHostileNamesInert() async throws {
        let (dir, tracker, api, running) = try dashboardStore("thePagesLoadUpdateLiveAndKeepHostileNamesInert")
        let sweepID = try addSweep(dir)
        let alpha = try #require(try api.store.runs().first { $0.name == "alpha" }?.id)
        let hostile = try #require(try api.store.runs().first { $0.name.hasPrefix("<script>") }?.id)
        let shots = ProcessInfo.processInfo.environment["TEMPER_SCREENSHOTS"]
        let app = DashboardServer.application(api: api, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            let root = "http://127.0.0.1:\(try #require(client.port))/"
            let browser = try WebDriver()
            do {
                try await browser.start()
                func inert(_ page: String) async throws {
                    #expect(try await browser.run("return window.__xss === undefined") as? Bool == true, "a hostile name ran script on \(page)")
                    #expect(try await browser.consoleErrors() == [], "console errors on \(page)")
                    if let shots { try await browser.screenshot(to: "\(shots)/dashboard-\(page).png") }
                }

                // Runs: all of them, then filtered, then sorted by clicking a column twice.
                try await browser.open(root + "#/runs")
                let total = try api.store.runs().count
                try await browser.wait("return document.querySelectorAll('#runs-table tbody tr').length === \(total)")
                #expect(try await browser.run("return document.getElementById('runs-count').textContent") as? String == "1–\(total) of \(total) runs")
                try await inert("runs")
                _ = try await browser.run("const f = document.getElementById('filter'); f.value = 'state=running'; f.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}))")
                try await browser.wait("return document.querySelectorAll('#runs-table tbody tr').length === 1")
                #expect(try await browser.run("return document.querySelector('#runs-table tbody tr').dataset.run") as? String == running.id)
                _ = try await browser.run("const f = document.getElementById('filter'); f.value = 'project=p'; f.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}))")
                try await browser.wait("return document.querySelectorAll('#runs-table tbody tr').length === 2")
                for _ in 0..<2 {
                    _ = try await browser.run("document.querySelector('th[data-column=\"val_accuracy\"]').click()")
                    try await Task.sleep(nanoseconds: 300_000_000)
                }
                try await browser.wait("return document.querySelector('#runs-table tbody tr').dataset.run === '\(hostile)'")
                try await inert("runs-filtered")

                // A run: one chart per metric, one series each; its hostile twin is text.
                try await browser.open(root + "#/run/\(alpha)")
                try await browser.wait("return window.temperCharts && window.temperCharts.length === 2")
                #expect(try await browser.run("return temperCharts.map(c => c.graph.numColumns() - 1)") as? [Int] == [1, 1])
                #expect(try await browser.run("return temperCharts.map(c => c.title).sort()") as? [String] == ["loss", "val_accuracy"])
                try await inert("run")
                try await browser.open(root + "#/run/\(hostile)")
                try await browser.wait("return document.querySelector('h1') && document.querySelector('h1').textContent.startsWith('<script>')")
                try await inert("run-hostile")

                // Live: the running run's page gains the steps it logs, without a reload.
                try await browser.open(root + "#/run/\(running.id)")
                try await browser.wait("return window.temperCharts && window.temperCharts.length === 2")
                _ = try await browser.run("window.notReloaded = true")
                for step in 1...3 { running.log(["loss": 2.0 / Double(step + 1), "val_accuracy": 0.1 * Double(step + 1)], step: step) }
                try running.flush()
                try await browser.wait("return temperCharts.length === 2 && temperCharts.every(c => c.graph.numRows() === 4)", seconds: 5)
                #expect(try await browser.run("return window.notReloaded === true") as? Bool == true)
                try running.finish()
                try tracker.waitUntilWritten()
                try await browser.wait("return document.getElementById('run-state').textContent === 'finished'", seconds: 5)
                try await inert("run-live")

                // Compare: the two runs on one chart.
                try await browser.open(root + "#/compare?runs=\(alpha),\(hostile)")
                try await browser.wait("return window.temperCharts && window.temperCharts.length === 1")
                #expect(try await browser.run("return temperCharts[0].graph.numColumns() - 1") as? Int == 2)
                // Both metrics, one chart each; then against the time since each run started.
                _ = try await browser.run("const s = document.getElementById('metrics'); for (const o of s.options) o.selected = true; s.dispatchEvent(new Event('change'))")
                try await browser.wait("return temperCharts.length === 2 && temperCharts.map(c => c.title).sort().join() === 'loss,val_accuracy'")
                _ = try await browser.run("const x = document.getElementById('x-axis'); x.value = 'time'; x.dispatchEvent(new Event('change'))")
                try await browser.wait("return temperCharts.length === 2 && temperCharts.every(c => c.graph.getLabels()[0] === 'seconds since start')")
                let seconds = try await browser.run("return temperCharts[0].graph.xAxisExtremes()") as? [Double] ?? []
                #expect(seconds.count == 2 && seconds[0] >= 0 && seconds[1] < 600, "\(seconds)")
                try await inert("compare")

                // A sweep: history, parallel coordinates whose brush filters the trials, importance, slices, curves.
                try await browser.open(root + "#/sweep/\(sweepID)")
                try await browser.wait("return document.querySelectorAll('#parallel-coordinates polyline').length === 6 && window.temperCharts.length === 2", seconds: 15)
                #expect(try await browser.run("return temperCharts.map(c => c.graph.numColumns() - 1)") as? [Int] == [2, 6])
                #expect(try await browser.run("return document.querySelectorAll('#slices .chart').length") as? Int == 2)
                #expect(try await browser.run("return document.querySelectorAll('#trials-table a').length") as? Int == 6)  // each trial's run
                try await browser.wait("return document.querySelectorAll('#importance svg text').length === 4")  // loaded after the rest
                _ = try await browser.run("document.querySelector('#parallel-coordinates svg').brush(2, 0, 120)")
                let shown = try await browser.run("return document.querySelectorAll('#trials-table tbody tr:not(.hidden)').length") as? Int ?? -1
                #expect(shown >= 0 && shown < 6, "\(shown)")
                #expect(try await browser.run("return document.getElementById('trials-shown').textContent") as? String == "\(shown) of 6 trials shown")
                try await inert("sweep")
                try await browser.open(root + "#/sweeps")
                try await browser.wait("return document.querySelectorAll('#sweeps-table tr').length === 2")
                try await inert("sweeps")

                // The sweep's offline report: one file, the same views, no server.
                let report = dir + "/sweep.html"
                try SweepReport.html(api: api, sweep: sweepID).write(toFile: report, atomically: true, encoding: .utf8)
                let html = try String(contentsOfFile: report, encoding: .utf8)
                #expect(!html.contains("src=\"/") && !html.contains("href=\"/"), "the report loads a file")
                try await browser.open("file://" + report)
                try await browser.wait("return document.querySelectorAll('#parallel-coordinates polyline').length === 6 && window.temperCharts.length === 2", seconds: 15)
                try await browser.wait("return document.querySelectorAll('#importance svg text').length === 4")
                #expect(try await browser.run("return temperCharts.map(c => c.graph.numColumns() - 1)") as? [Int] == [2, 6])
                #expect(try await browser.run("return document.querySelectorAll('#trials-table a').length") as? Int == 0)  // runs' pages are the server's
                try await inert("sweep-report")
            } catch {
                if let shots { try? await browser.screenshot(to: "\(shots)/dashboard-failure.png") }
                let state = try? await browser.run("return [document.querySelectorAll('#parallel-coordinates polyline').length, (window.temperCharts || []).length, document.body.innerText.slice(0, 300)]")
                print("page state at the failure: \(state ?? "")")
                await browser.quit()
                throw error
            }
            await browser.quit()
        }
    }
}
