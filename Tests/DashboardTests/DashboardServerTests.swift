import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Tracking
@testable import Dashboard

/// The HTTP layer as a client meets it: statuses, headers, errors as JSON, assets only local,
/// and live updates through server-sent events.
struct DashboardServerTests {
    func application(_ api: DashboardAPI) -> some ApplicationProtocol {
        DashboardServer.application(api: api, host: "127.0.0.1", port: 0)
    }

    @Test func answersAreJSONWithSafeHeadersAndErrorsAreJSONToo() async throws {
        let (_, _, api, _) = try dashboardStore()
        try await application(api).test(.router) { client in
            try await client.execute(uri: "/api/runs?sort=-val_accuracy", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(response.headers[.init("X-Content-Type-Options")!] == "nosniff")
                #expect(response.headers[.init("Content-Security-Policy")!]?.contains("default-src 'self'") == true)
            }
            for (uri, status, message) in [
                ("/api/runs?limit=0", 400, "limit must be"), ("/api/runs?filter=state%3D%3Dfinished", 400, "filter"),
                ("/api/runs/%3Cnope%3E", 404, "no run \"<nope>\""), ("/api/runs/alpha/history?points=99999999", 400, "points"),
                ("/api/sweeps/none", 404, "sweep"), ("/api/nothing/here", 404, "no API endpoint"),
            ] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(Int(response.status.code) == status, "\(uri)")
                    #expect(response.headers[.contentType] == "application/json; charset=utf-8", "\(uri)")
                    let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String])
                    #expect(body["error"]?.contains(message) == true, "\(uri): \(body)")
                }
            }
            try await client.execute(uri: "/static/..%2F..%2FPackage.swift", method: .get) { #expect($0.status == .notFound) }
            // A hostile review found these: duplicate columns multiplied the answer (12,000 × "name"
            // gave 215 MB); percent-encoded ids were not decoded.
            let many = Array(repeating: "name", count: 12_000).joined(separator: ",")
            try await client.execute(uri: "/api/runs?limit=1000&columns=" + many, method: .get) { response in
                #expect(response.status == .ok && response.body.readableBytes < 10_000, "\(response.body.readableBytes) bytes")
            }
            let distinct = (0..<300).map { "c\($0)" }.joined(separator: ",")
            try await client.execute(uri: "/api/runs?columns=" + distinct, method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/api/runs/%61lpha", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/vendor/..%2Fjquery%2Fjquery.js", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func everyPageAssetIsServedLocallyAndNothingComesFromTheNetwork() async throws {
        let (_, _, api, _) = try dashboardStore()
        try await application(api).test(.router) { client in
            for uri in ["/", "/static/app.js", "/static/charts.js", "/static/style.css", "/vendor/dygraph.min.js", "/vendor/dygraph.min.css"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    // The SVG namespace is a name, not an address anything is fetched from.
                    let text = String(buffer: response.body).replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
                    if !uri.hasPrefix("/vendor") {
                        #expect(!text.contains("http://") && !text.contains("https://"), "\(uri) names a network address")
                        #expect(!text.contains("innerHTML"), "\(uri) writes HTML from data")
                    }
                }
            }
        }
    }

    @Test func aRunThatLogsSendsAChangeEvent() async throws {
        try await onOwnThread {
            let (_, tracker, api, running) = try dashboardStore("aRunThatLogsSendsAChangeEvent")
            async let logged: Void = {
                try await Task.sleep(nanoseconds: 800_000_000)
                running.log(["loss": 1.25], step: 1)
                try running.flush()
                try tracker.waitUntilWritten()
            }()
            try await application(api).test(.live) { client in
                try await client.execute(uri: "/api/events?maxEvents=1", method: .get) { response in
                    #expect(response.headers[.contentType] == "text/event-stream")
                    let text = String(buffer: response.body)
                    #expect(text.contains("event: hello") && text.contains("event: change"), "\(text)")
                }
            }
            try await logged
        }
    }
}
