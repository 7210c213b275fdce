import Foundation
import Hummingbird

/// What every request passes first and every answer leaves with:
/// - only `GET` and `HEAD` (the dashboard only reads): anything else is `405` with `Allow`;
/// - on loopback, only a loopback `Host` (`localhost`, `127.0.0.1`, `[::1]`): a page from
///   elsewhere that renamed its host to this machine (DNS rebinding) gets `403`, not the runs;
/// - the security headers (`nosniff`, the content security policy, `no-store`) on every answer,
///   and errors (an unknown path too) as `{"error": …}` under `/api/`, as text elsewhere.
struct DashboardGate<Context: RequestContext>: RouterMiddleware {
    /// The `Host` names accepted; nil accepts any (serving beyond loopback was asked for).
    let allowedHosts: Set<String>?

    /// The gate for a server listening on `host`.
    init(listeningOn host: String) {
        allowedHosts = DashboardServer.isLoopback(host) ? DashboardServer.loopbackNames.union([host.lowercased()]) : nil
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await answer(request, context: context, next: next)
        for field in DashboardServer.commonHeaders where response.headers[field.name] == nil {
            response.headers[field.name] = field.value
        }
        return response
    }

    private func answer(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let api = request.uri.path.hasPrefix("/api")
        if request.method != .get && request.method != .head {
            var refusal = DashboardServer.errorResponse(DashboardError(405, "the dashboard only reads: use GET, not \(request.method)"), api: api)
            refusal.headers[.allow] = "GET, HEAD"
            return refusal
        }
        if let allowedHosts, let host = Self.hostName(request.head.authority), !allowedHosts.contains(host) {
            return DashboardServer.errorResponse(DashboardError(403, """
                this dashboard serves loopback only and the request named host \"\(host.prefix(80))\": open it as http://127.0.0.1:<port>/ \
                (or start it with --host to serve other names, which lets anyone on the network read the runs)
                """), api: api)
        }
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError {
            let path = request.uri.path.prefix(120)
            let message = error.status != .notFound ? "\(error.status)"
                : api ? "no API endpoint \(path); the endpoints are listed in the README (Dashboard)" : "nothing at \(path); the pages start at /"
            return DashboardServer.errorResponse(DashboardError(Int(error.status.code), message), api: api)
        }
    }

    /// The host of a `Host` value without its port, lowercased (`[::1]:6006` → `[::1]`).
    static func hostName(_ authority: String?) -> String? {
        guard let authority, !authority.isEmpty else { return nil }
        let lowered = authority.lowercased()
        if lowered.hasPrefix("["), let close = lowered.firstIndex(of: "]") { return String(lowered[...close]) }
        if lowered.filter({ $0 == ":" }).count > 1 { return lowered }  // an IPv6 address without brackets or port
        return String(lowered.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}
