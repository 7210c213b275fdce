import Foundation
import Hummingbird
import ServiceLifecycle
import Tracking

/// The dashboard's HTTP routes over a `DashboardAPI`: the JSON API under `/api/`, server-sent
/// events at `/api/events`, the pages at `/`, and the chart library from Debian's
/// `libjs-dygraphs` at `/vendor/` — nothing is fetched from the network.
public enum DashboardServer {
    public static func router(api: DashboardAPI, assets: DashboardAssets = DashboardAssets(), host: String = "127.0.0.1",
                              maxStreams: Int = maxLiveStreams) -> Router<BasicRequestContext> {
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: DashboardGate(listeningOn: host))
        let streams = LiveStreams(limit: maxStreams)
        router.get("/api/runs") { request, _ in json { try api.runsPage(query(request)) } }
        router.get("/api/runs/{id}") { _, context in json { try api.runDetail(try parameter(context, "id")) } }
        router.get("/api/runs/{id}/history") { request, context in json { try api.history(try parameter(context, "id"), query(request)) } }
        router.get("/api/runs/{id}/histograms") { request, context in json { try api.histograms(try parameter(context, "id"), query(request)) } }
        router.get("/api/runs/{id}/system") { request, context in json { try api.systemMetrics(try parameter(context, "id"), query(request)) } }
        router.get("/api/sweeps") { request, _ in json { try api.sweeps(query(request)) } }
        router.get("/api/sweeps/{id}") { _, context in json { try api.sweepDetail(try parameter(context, "id")) } }
        router.get("/api/sweeps/{id}/importance") { _, context in
            await json { try await api.importanceAnswer(try parameter(context, "id")) }
        }
        router.get("/api/events") { request, _ in events(api: api, query: query(request), streams: streams) }
        router.get("/") { _, _ in asset { try assets.page("index.html") } }
        router.get("/static/{file}") { _, context in asset { try assets.page(try parameter(context, "file")) } }
        router.get("/vendor/{file}") { _, context in asset { try assets.vendor(try parameter(context, "file")) } }
        return router
    }

    /// The query's values by name (a name may repeat).
    static func query(_ request: Request) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for (key, value) in request.uri.queryParameters { result[String(key), default: []].append(String(value)) }
        return result
    }

    /// A path parameter, percent-decoded (as the pages' `encodeURIComponent` wrote it).
    static func parameter(_ context: BasicRequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw DashboardError.badRequest("the path lacks \(name)") }
        guard value.utf8.count <= maxParameterLength else {
            throw DashboardError.notFound("no \(name) is \(value.utf8.count) bytes long (at most \(maxParameterLength))" + (name == "id" ? "; ids are 8 characters" : ""))
        }
        let decoded = value.removingPercentEncoding ?? value
        guard !decoded.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw DashboardError.notFound("no \(name) contains control characters (\(printable(decoded).prefix(80)))")
        }
        return decoded
    }

    static let maxParameterLength = 512

    static let commonHeaders: HTTPFields = [
        .cacheControl: "no-store",
        .init("X-Content-Type-Options")!: "nosniff",
        .init("Content-Security-Policy")!: "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    ]

    /// A JSON answer, or the error as `{"error": …}` with its status (500 for the unexpected).
    static func json(_ body: () throws -> Data) -> Response {
        jsonResponse(Result { try body() })
    }

    static func json(_ body: () async throws -> Data) async -> Response {
        do {
            return jsonResponse(.success(try await body()))
        } catch {
            return jsonResponse(.failure(error))
        }
    }

    static func jsonResponse(_ answer: Result<Data, any Error>) -> Response {
        switch answer {
        case .success(let data):
            return Response(status: .ok, headers: [.contentType: jsonType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        case .failure(let error as DashboardError):
            return errorResponse(error, api: true)
        case .failure(let error):
            return errorResponse(DashboardError(500, "\(error)"), api: true)
        }
    }

    static let jsonType = "application/json; charset=utf-8"
    static let maxMessageLength = 1000

    /// `text` with control characters (escape, NUL …) as `?`.
    static func printable<S: StringProtocol>(_ text: S) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control && $0 != "\n" ? "?" : $0 }))
    }

    /// The error with its status: `{"error": message}` for the API, the message as text for pages;
    /// at most `maxMessageLength` characters, control characters shown as `?` (a message may
    /// quote the request).
    static func errorResponse(_ error: DashboardError, api: Bool) -> Response {
        let status = HTTPResponse.Status(code: error.status)
        var error = error
        error.message = printable(error.message.count > maxMessageLength ? error.message.prefix(maxMessageLength) + "…" : error.message)
        guard api else {
            return Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: error.message)))
        }
        let data = (try? JSONEncoder().encode(["error": error.message])) ?? Data("{\"error\":\"unknown\"}".utf8)
        return Response(status: status, headers: [.contentType: jsonType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func asset(_ body: () throws -> (data: Data, contentType: String)) -> Response {
        do {
            let (data, type) = try body()
            return Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        } catch let error as DashboardError {
            return errorResponse(error, api: false)
        } catch {
            return errorResponse(DashboardError(500, "\(error)"), api: false)
        }
    }

    /// `GET /api/events[?maxEvents=N]`: server-sent events. Every half second the store's change
    /// token is checked (two `stat` calls, no read); when it changed, a `change` event goes out
    /// and the pages fetch what they show again. A comment every 2 s keeps proxies from closing
    /// the stream and finds a reader that left (the second write after it left fails: within 4 s). `maxEvents` ends the stream after that many
    /// events (for scripts and tests). At most `maxLiveStreams` streams are open at once.
    static func events(api: DashboardAPI, query: [String: [String]], streams: LiveStreams) -> Response {
        let limit: Int
        do {
            limit = try DashboardAPI.integer(query, "maxEvents", default: Int.max, in: 1...Int.max)
        } catch {
            return jsonResponse(.failure(error))
        }
        guard let ticket = streams.open() else {
            return errorResponse(DashboardError(503, "\(streams.limit) live streams are open already: close some dashboard tabs"), api: true)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
            _ = ticket  // held while the stream lives
            var last = api.changeToken(), sent = 0, quiet = 0
            try await writer.write(ByteBuffer(string: "retry: 1000\nevent: hello\ndata: {}\n\n"))
            while sent < limit && !Task.isShuttingDownGracefully {  // Ctrl-C ends the streams, so the server stops
                try await Task.sleep(nanoseconds: 500_000_000)
                let token = api.changeToken()
                if token != last {
                    last = token
                    sent += 1
                    quiet = 0
                    try await writer.write(ByteBuffer(string: "event: change\ndata: {}\n\n"))
                } else {
                    quiet += 1
                    if quiet % 4 == 0 { try await writer.write(ByteBuffer(string: ": still here\n\n")) }
                }
            }
            try await writer.finish(nil)
        })
    }

    /// Live event streams a server keeps open at most.
    public static let maxLiveStreams = 64

    /// The names of this machine's loopback a `Host` header may carry.
    static let loopbackNames: Set<String> = ["localhost", "127.0.0.1", "[::1]", "::1"]

    /// Whether `host` is this machine's loopback: `localhost`, `::1` or an address in 127.0.0.0/8.
    public static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased()
        if loopbackNames.contains(name) { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Seconds a connection may stay idle, or take to send its request, before it is closed.
    static let idleTimeout: Int64 = 30

    /// The application on `host:port`; `onRunning` gets the bound port (useful with port 0).
    public static func application(api: DashboardAPI, host: String, port: Int, maxStreams: Int = maxLiveStreams,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: router(api: api, host: host, maxStreams: maxStreams), server: .http1(configuration: .init(idleTimeout: .seconds(idleTimeout))), configuration: .init(address: .hostname(host, port: port), serverName: "temper-dashboard"),
                    onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
    }
}

/// How many event streams are open, up to a limit: each holds a ticket, given back when the
/// stream (or the answer that would have carried it) is gone.
final class LiveStreams: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var count = 0

    init(limit: Int) { self.limit = limit }

    /// A ticket for one more stream, unless `limit` are open.
    func open() -> Ticket? {
        lock.lock()
        defer { lock.unlock() }
        guard count < limit else { return nil }
        count += 1
        return Ticket(streams: self)
    }

    fileprivate func close() {
        lock.lock()
        count -= 1
        lock.unlock()
    }

    final class Ticket: @unchecked Sendable {
        private let streams: LiveStreams
        fileprivate init(streams: LiveStreams) { self.streams = streams }
        deinit { streams.close() }
    }
}
