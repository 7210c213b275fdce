/// A request the API cannot answer: an HTTP status (4xx for the client's mistakes) and a message
/// that names what was wrong and what to do, sent as `{"error": message}`.
public struct DashboardError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String

    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    static func badRequest(_ message: String) -> DashboardError { DashboardError(400, message) }
    static func notFound(_ message: String) -> DashboardError { DashboardError(404, message) }
}
