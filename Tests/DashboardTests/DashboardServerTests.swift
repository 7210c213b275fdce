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
                ("/api/sweeps/none", 404, "no sweep \"none\" in this store"), ("/api/nothing/here", 404, "no API endpoint"),
                ("/api", 404, "no API endpoint"), ("/api/", 404, "no API endpoint"), ("/api/events?maxEvents=abc", 400, "maxEvents"),
                ("/api/runs/alpha/history?keys=loss,nope", 404, "logged no \"nope\"; it logged: loss, val_accuracy"),
                ("/api/runs/" + String(repeating: "x", count: 60_000), 404, "at most 512"),
                ("/api/runs/alph%00zzz", 404, "control characters"), ("/api/sweeps/%00", 404, "control characters"),
                ("/api/runs?sort=" + String(repeating: "A", count: 60_000), 400, "no run has"),
                ("/api/runs?project=nope", 404, "no runs in project \"nope\"; projects: p, q"), ("/api/runs?sweep=nope", 404, "no sweep \"nope\""),
            ] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(Int(response.status.code) == status, "\(uri.prefix(80))")
                    #expect(response.headers[.contentType] == "application/json; charset=utf-8", "\(uri.prefix(80))")
                    #expect(response.headers[.init("X-Content-Type-Options")!] == "nosniff", "\(uri.prefix(80))")
                    #expect(response.body.readableBytes < 1200, "the answer echoes the request: \(uri.prefix(80))")
                    let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String])
                    #expect(body["error"]?.contains(message) == true, "\(uri.prefix(80)): \(body)")
                    #expect(body["error"]?.contains(api.store.path) == false, "the answer shows where the store is")
                }
            }
            // Pages and their files: text, with the same headers.
            for uri in ["/nope", "/static/nope.js", "/static/%1b%5b2J"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .notFound && response.headers[.contentType] == "text/plain; charset=utf-8", "\(uri)")
                    #expect(response.headers[.init("Content-Security-Policy")!] != nil && !String(buffer: response.body).isEmpty, "\(uri)")
                    #expect(!String(buffer: response.body).contains("\u{1b}"), "a terminal escape went back as it came: \(uri)")
                }
            }
            // It only reads: other methods are refused, HEAD is GET without a body.
            for method in [HTTPRequest.Method.post, .put, .delete, .patch] {
                try await client.execute(uri: "/api/runs", method: method) { response in
                    #expect(response.status == .methodNotAllowed && response.headers[.allow] == "GET, HEAD", "\(method)")
                    #expect(response.headers[.init("X-Content-Type-Options")!] == "nosniff", "\(method)")
                }
            }
            try await client.execute(uri: "/", method: .head) { #expect($0.status == .ok && $0.body.readableBytes == 0) }
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

    /// A page elsewhere that renames its host to this machine (DNS rebinding) must not read the
    /// runs: on loopback only loopback names are served. Checked with curl, which sends any `Host`.
    @Test func onLoopbackOnlyLoopbackHostNamesAreServed() async throws {
        try await onOwnThread {
            let (_, _, api, _) = try dashboardStore("onLoopbackOnlyLoopbackHostNamesAreServed")
            try await application(api).test(.live) { client in
                let url = "http://127.0.0.1:\(try #require(client.port))/api/runs"
                for (host, status) in [("evil.example", "403"), ("evil.example:80", "403"), ("localhost:1", "200"), ("127.0.0.1", "200"), ("[::1]:6006", "200")] {
                    let answer = try await curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: \(host)", url], describing: host)
                    #expect(String(decoding: answer, as: UTF8.self) == status, "Host: \(host)")
                }
            }
        }
        #expect(DashboardGate<BasicRequestContext>(listeningOn: "0.0.0.0").allowedHosts == nil)  // serving the network was asked for
        #expect(DashboardGate<BasicRequestContext>(listeningOn: "127.0.0.2").allowedHosts?.contains("127.0.0.2") == true)  // loopback too
        #expect(DashboardServer.isLoopback("127.1.2.3") && !DashboardServer.isLoopback("127.evil.com") && !DashboardServer.isLoopback("10.0.0.1"))
    }

    /// The status of a GET (curl gives up after a second: a stream that was accepted still says 200).
    func status(_ url: String) async throws -> String {
        try await onNewThread {
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            probe.arguments = ["-s", "-m", "1", "-o", "/dev/null", "-w", "%{http_code}", url]
            let output = Pipe()
            probe.standardOutput = output
            try probe.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            probe.waitUntilExit()
            return text
        }
    }

    /// Through the server: a stream holds its slot while its reader stays, the next one is refused
    /// with 503, and the slot is free again once the reader left (noticed at the next keep-alive).
    @Test func aStreamHoldsItsSlotUntilItsReaderLeaves() async throws {
        try await onOwnThread {
            let (_, _, api, _) = try dashboardStore("aStreamHoldsItsSlotUntilItsReaderLeaves")
            try await DashboardServer.application(api: api, host: "127.0.0.1", port: 0, maxStreams: 1).test(.live) { client in
                let url = "http://127.0.0.1:\(try #require(client.port))/api/events"
                let reader = Process()
                reader.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                reader.arguments = ["-sN", "-m", "60", url]
                let received = Pipe()
                reader.standardOutput = received
                try await onNewThread { try reader.run() }
                let hello = try await onNewThread { String(decoding: received.fileHandleForReading.availableData, as: UTF8.self) }
                #expect(hello.contains("event: hello"))
                #expect(try await status(url) == "503")
                // SIGKILL: after a live test the test process ignores SIGTERM (the server's signal
                // handling), and its children inherit that.
                kill(reader.processIdentifier, SIGKILL)
                try await onNewThread { reader.waitUntilExit() }
                var again = ""
                for _ in 0..<60 where again != "200" {
                    again = try await status(url)
                    if again != "200" { try await Task.sleep(nanoseconds: 250_000_000) }
                }
                #expect(again == "200", "the slot was not given back")
            }
        }
    }

    @Test func liveStreamsAreCountedUntilTheirAnswerIsGone() {
        let streams = LiveStreams(limit: 2)
        var first = streams.open()
        let second = streams.open()
        #expect(first != nil && second != nil && streams.open() == nil)
        first = nil
        #expect(streams.open() != nil)  // the third, once the first was given back
        _ = second
    }
}
