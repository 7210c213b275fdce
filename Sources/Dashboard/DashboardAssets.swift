import Foundation

/// The files the pages need: Temper's own (in the module's `Pages` resources) and the chart
/// library, dygraphs, from Debian's `libjs-dygraphs` (installed by `scripts/install-dependencies`).
public struct DashboardAssets: Sendable {
    public var vendorDirectory: String

    public init(vendorDirectory: String = "/usr/share/javascript/dygraphs") {
        self.vendorDirectory = vendorDirectory
    }

    static let pages: Set<String> = ["index.html", "app.js", "charts.js", "style.css"]
    static let vendorFiles: Set<String> = ["dygraph.min.js", "dygraph.min.css"]

    func page(_ name: String) throws -> (data: Data, contentType: String) {
        guard Self.pages.contains(name), let url = Bundle.module.url(forResource: "Pages/" + name, withExtension: nil) ?? Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Pages") else {
            throw DashboardError.notFound("no page file \(name.prefix(80))")
        }
        return (try Data(contentsOf: url), Self.contentType(name))
    }

    func vendor(_ name: String) throws -> (data: Data, contentType: String) {
        guard Self.vendorFiles.contains(name) else { throw DashboardError.notFound("no vendor file \(name.prefix(80))") }
        let path = (vendorDirectory as NSString).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DashboardError.notFound("\(path) is missing: install Debian's libjs-dygraphs (scripts/install-dependencies does)")
        }
        return (data, Self.contentType(name))
    }

    /// Whether the chart library is installed.
    public var hasChartLibrary: Bool { FileManager.default.fileExists(atPath: (vendorDirectory as NSString).appendingPathComponent("dygraph.min.js")) }

    static func contentType(_ name: String) -> String {
        switch (name as NSString).pathExtension {
        case "html": return "text/html; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        default: return "application/octet-stream"
        }
    }
}
