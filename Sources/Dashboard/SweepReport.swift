import Foundation
import Charts
import Tracking

/// `temper report --sweep ID --out sweep.html`: the dashboard's sweep page as one self-contained
/// file — its scripts, styles and the chart library inlined, and the API answers it needs baked in
/// (the sweep, its importance, the learning curves of its last 40 trials), so it opens anywhere
/// with no server and no network, with the same interactive views (brushing, hover, zoom).
public enum SweepReport {
    public static func html(api: DashboardAPI, sweep id: String, assets: DashboardAssets = DashboardAssets()) throws -> String {
        guard !id.isEmpty else { throw DashboardError.badRequest("name the sweep: an id, a prefix of one or a name (`temper sweeps` lists them)") }
        let detail = try api.sweepDetail(id)
        let info = try api.sweepInfo(id)
        var answers: [String: Data] = ["/api/sweeps/\(path(info.id))": detail, "/api/sweeps/\(path(info.id))/importance": try api.importance(info.id)]
        if let metric = DashboardAPI.objective(info)?.name {
            for trial in try api.store.trials(info.id).filter({ !$0.runIDs.isEmpty }).suffix(40) {
                guard let run = trial.runIDs.last else { continue }
                answers["/api/runs/\(path(run))/history?keys=\(path(metric))&points=400"] = try api.history(run, ["keys": [metric], "points": ["400"]])
            }
        }
        var baked = "{"
        for (index, (key, value)) in answers.sorted(by: { $0.key < $1.key }).enumerated() {
            baked += (index == 0 ? "" : ",") + (try jsonString(key)) + ":" + String(decoding: value, as: UTF8.self)
        }
        baked += "}"
        func text(_ file: (data: Data, contentType: String)) -> String { inert(String(decoding: file.data, as: UTF8.self)) }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(info.name)) — Temper sweep report</title>
            <link rel="icon" href="data:,">
            <style>\(text(try assets.vendor("dygraph.min.css")))</style>
            <style>\(text(try assets.page("style.css")))</style>
            </head><body>
            <header><span class="brand">Temper</span> <span>sweep report, \(escape(ISO8601DateFormatter().string(from: Date())))</span></header>
            <main id="main"></main>
            <script>window.TEMPER_OFFLINE = \(inert(baked)); location.hash = \(inert(try jsonString("#/sweep/" + info.id)));</script>
            <script>\(text(try assets.vendor("dygraph.min.js")))</script>
            <script>\(text(try assets.page("charts.js")))</script>
            <script>\(text(try assets.page("app.js")))</script>
            </body></html>
            """
    }

    /// A path segment as the pages' `encodeURIComponent` writes it.
    static func path(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")) ?? text
    }

    static func jsonString(_ text: String) throws -> String {
        String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    }

    /// Script text that cannot end its `<script>` element early: `</script` and `<!--` (which
    /// the scripts here contain only inside strings, if at all) get a backslash; the baked JSON
    /// has every `/` escaped already.
    static func inert(_ script: String) -> String {
        script.replacingOccurrences(of: "</script", with: "<\\/script", options: .caseInsensitive).replacingOccurrences(of: "<!--", with: "<\\!--")
    }

    static func escape(_ text: String) -> String { Markup.escape(text) }
}
