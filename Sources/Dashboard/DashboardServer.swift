import Foundation
import Hummingbird
import Tracking

/// The dashboard's HTTP routes over a `DashboardAPI`: the JSON API under `/api/`, server-sent
/// events at `/api/events`, the pages at `/`, and the chart library from Debian's
/// `libjs-dygraphs` at `/vendor/` — nothing is fetched from the network.
public enum DashboardServer {
    public static func router(api: DashboardAPI, assets: DashboardAssets = DashboardAssets()) -> Router<BasicRequestContext> {
        let router = Router()
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
        router.get("/api/events") { request, _ in events(api: api, query: query(request)) }
        router.get("/api/**") { request, _ in
            json { throw DashboardError.notFound("no API endpoint \(request.uri.path.prefix(120)); the endpoints are listed in the README (Dashboard)") }
        }
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

    static func parameter(_ context: BasicRequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw DashboardError.badRequest("the path lacks \(name)") }
        return value.removingPercentEncoding ?? value  // ids as the pages' encodeURIComponent wrote them
    }

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
        var headers = commonHeaders
        headers[.contentType] = "application/json; charset=utf-8"
        switch answer {
        case .success(let data):
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        case .failure(let error as DashboardError):
            return Response(status: HTTPResponse.Status(code: error.status), headers: headers, body: errorBody(error.message))
        case .failure(let error):
            return Response(status: .internalServerError, headers: headers, body: errorBody("\(error)"))
        }
    }

    static func errorBody(_ message: String) -> ResponseBody {
        let data = (try? JSONEncoder().encode(["error": message])) ?? Data("{\"error\":\"unknown\"}".utf8)
        return ResponseBody(byteBuffer: ByteBuffer(bytes: data))
    }

    static func asset(_ body: () throws -> (data: Data, contentType: String)) -> Response {
        do {
            let (data, type) = try body()
            var headers = commonHeaders
            headers[.contentType] = type
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        } catch let error as DashboardError {
            return Response(status: HTTPResponse.Status(code: error.status), headers: [.contentType: "text/plain; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: error.message)))
        } catch {
            return Response(status: .internalServerError, body: ResponseBody(byteBuffer: ByteBuffer(string: "\(error)")))
        }
    }

    /// `GET /api/events[?maxEvents=N]`: server-sent events. Every half second the store's change
    /// token is checked (two `stat` calls, no read); when it changed, a `change` event goes out
    /// and the pages fetch what they show again. A comment every 15 s keeps proxies from closing
    /// the stream. `maxEvents` ends the stream after that many events (for scripts and tests).
    static func events(api: DashboardAPI, query: [String: [String]]) -> Response {
        let limit = (query["maxEvents"]?.last).flatMap(Int.init).map { Swift.max(1, $0) } ?? Int.max
        var headers = commonHeaders
        headers[.contentType] = "text/event-stream"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var last = api.changeToken(), sent = 0, quiet = 0
            try await writer.write(ByteBuffer(string: "retry: 1000\nevent: hello\ndata: {}\n\n"))
            while sent < limit {
                try await Task.sleep(nanoseconds: 500_000_000)
                let token = api.changeToken()
                if token != last {
                    last = token
                    sent += 1
                    quiet = 0
                    try await writer.write(ByteBuffer(string: "event: change\ndata: {}\n\n"))
                } else {
                    quiet += 1
                    if quiet % 30 == 0 { try await writer.write(ByteBuffer(string: ": still here\n\n")) }
                }
            }
            try await writer.finish(nil)
        })
    }

    /// The application on `host:port`; `onRunning` gets the bound port (useful with port 0).
    public static func application(api: DashboardAPI, host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        Application(router: router(api: api), configuration: .init(address: .hostname(host, port: port), serverName: "temper-dashboard"),
                    onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
    }
}
