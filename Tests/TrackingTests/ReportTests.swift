import Foundation
import Testing
import ProcessSupport
import Models
import Tracking

struct ReportTests {
    /// A store with a trained run (curves, histograms, system metrics) and a hostile name.
    static func store() throws -> (RunStore, Run) {
        let dir = temporaryStore("report")
        let tracker = try Tracker(dir: dir, systemMetricsInterval: 0.05)
        let run = try tracker.start(project: "report", name: "<script>alert(1)</script>", config: ["note": "<b>bold</b>", "lr": 0.01],
                                    tags: ["<img src=x onerror=alert(2)>"], notes: "notes with <i>markup</i> & \"quotes\"")
        let model = Sequential(seed: 1) {
            Dense(8, activation: .relu, inputShape: [2])
            BatchNormalization()
            Dense(1, activation: .sigmoid)
        }
        try model.compile(optimizer: SGD(learningRate: 0.1), loss: .binaryCrossEntropy, metrics: [.accuracy])
        let data = try Generators.circles(samples: 128, noise: 0.1, seed: 2)
        try model.fit(x: data.x, y: data.y, batchSize: 32, epochs: 6, validationSplit: 0.25, callbacks: [TrackingCallback(run)], verbose: 0)
        let second = try tracker.start(project: "report", name: "plain")
        second.log(["loss": 1, "val_accuracy": 0.5], step: 1)
        try second.finish()
        return (try RunStore(directory: dir), run)
    }

    @Test func namesTagsNotesAndConfigAreEscaped() throws {
        let (store, _) = try Self.store()
        let html = try HTMLReport.render(store: store, options: ReportOptions(project: "report"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<script>alert(1)"))
        #expect(!html.contains("<img src=x"))
        #expect(html.contains("&lt;img src=x onerror=alert(2)&gt;"))
        #expect(html.contains("&lt;i&gt;markup&lt;/i&gt; &amp; &quot;quotes&quot;"))
        #expect(html.contains("&lt;b&gt;bold&lt;/b&gt;"))
        // Exactly one script element: the report's own.
        #expect(html.components(separatedBy: "<script").count == 2)
    }

    @Test func theReportHasEverySection() throws {
        let (store, run) = try Self.store()
        let info = try store.run(run.id)
        #expect(info.state == .finished)
        #expect(info.summary["val_accuracy"]?.count == 6)
        let histograms = try store.histograms(run.id)
        #expect(histograms.keys.contains("parameters/dense/kernel") && histograms.keys.contains("gradients/dense/kernel"))
        #expect(histograms["gradients/dense/kernel"]?.count == 6)
        let html = try HTMLReport.render(store: store, options: ReportOptions(project: "report", metrics: ["loss", "val_accuracy"]))
        for section in ["<h2>Runs</h2>", "<h2>Notes</h2>", "<h2>Metrics</h2>", "<h2>Weights and gradients over time</h2>", "<h2>System</h2>"] {
            #expect(html.contains(section), "\(section)")
        }
        // Two metric charts, histogram charts, and system charts, all inline SVG.
        #expect(html.components(separatedBy: "<svg").count - 1 >= 2 + 2 + 1)
        // Weights come before their gradients.
        #expect(html.range(of: ": parameters/dense/kernel")!.lowerBound < html.range(of: ": gradients/dense/kernel")!.lowerBound)
        // Self-contained: nothing is loaded from elsewhere (inline SVG's xmlns="http://…" is a name, not a load).
        let loads = #"(src|href)\s*=\s*["']?\s*(https?:|//)|url\(\s*["']?\s*(https?:|//)|@import|<link"#
        #expect(html.range(of: loads, options: [.regularExpression, .caseInsensitive]) == nil, "the report loads a resource")
        #expect("<img src=\"https://x/y.png\">".range(of: loads, options: .regularExpression) != nil)  // the check can fail
        #expect { try HTMLReport.render(store: store, options: ReportOptions(project: "nothing")) } throws: { "\($0)".contains("has no runs") }
    }

    @Test func histogramsAreDrawnByDefaultWhateverTheirNameAndCanBeChosen() throws {
        let dir = temporaryStore("report-histograms")
        let run = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "h", name: "custom")
        for step in 1...3 {
            run.logHistogram(name: "activations/layer1", values: (0..<50).map { Double($0 * step) }, step: step)
            run.logHistogram(name: "parameters/dense/bias", values: [0.1, 0.2], step: step)
        }
        try run.finish()
        let store = try RunStore(directory: dir)
        // No kernels were logged: every histogram is drawn.
        let all = try HTMLReport.render(store: store, options: ReportOptions(project: "h"))
        #expect(all.contains("custom: activations/layer1") && all.contains("custom: parameters/dense/bias"))
        let chosen = try HTMLReport.render(store: store, options: ReportOptions(project: "h", histogramFilter: ["bias"]))
        #expect(!chosen.contains("custom: activations/layer1") && chosen.contains("custom: parameters/dense/bias"))
    }

    @Test func aFailingFitMarksTheRunFailed() throws {
        let dir = temporaryStore()
        let run = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "p")
        let model = Sequential(inputShape: [1]) { Dense(1) }
        try model.compile(optimizer: SGD(), loss: .meanSquaredError)
        #expect(throws: ModelError.self) {
            try model.fit(x: Matrix([[Float.greatestFiniteMagnitude]]), y: Matrix(column: [1]), epochs: 2, callbacks: [TrackingCallback(run)], verbose: 0)
        }
        let info = try RunStore(directory: dir).run(run.id)
        #expect(info.state == .failed)
        #expect(info.error?.contains("the loss became inf at epoch 1, step 1") == true, "\(info.error ?? "")")
        // Bad data fails the fit before training: the run is failed too, not left running.
        let second = try Tracker(dir: dir, systemMetricsInterval: nil).start(project: "p")
        #expect(throws: ModelError.self) {
            try model.fit(x: Matrix([[Float.nan]]), y: Matrix(column: [1]), epochs: 2, callbacks: [TrackingCallback(second)], verbose: 0)
        }
        let failed = try RunStore(directory: dir).run(second.id)
        #expect(failed.state == .failed && failed.error?.contains("NaN in row 0, column 0") == true)
    }

    @Test func theReportLoadsInHeadlessChromiumWithItsCharts() throws {
        let browser = try #require(chromium(), "chromium is missing: run `scripts/install-dependencies --tests` (the README's test command does)")
        let (store, _) = try Self.store()
        let path = temporaryStore() + "/report.html"
        try HTMLReport.render(store: store, options: ReportOptions(project: "report")).write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--dump-dom", "file://" + path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // The page's script ran to the end and caught no error; the charts are in the DOM.
        #expect(dom.contains("data-report-loaded=\"yes\""))
        #expect(dom.contains("<pre id=\"errors\"></pre>"))
        #expect(dom.components(separatedBy: "<svg").count - 1 >= 8)
        #expect(dom.contains("<polyline"))
    }
}

/// The chromium executable, if installed.
func chromium() -> String? {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
}
