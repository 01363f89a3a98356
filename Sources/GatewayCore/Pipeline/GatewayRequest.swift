import HTTPTypes
import NIOCore

/// A request as the HTTP server hands it to the pipeline: head now, body on demand.
public struct GatewayRequest: Sendable {
    public var method: HTTPRequest.Method
    /// The path, percent-encoded as received, without the query.
    public var path: String
    /// The query string without `?`, or nil.
    public var query: String?
    public var headers: HTTPFields
    /// Collects the body, reading at most `limit` bytes.
    public var collectBody: @Sendable (_ limit: Int) async -> CollectedBody

    public init(
        method: HTTPRequest.Method, path: String, query: String?, headers: HTTPFields,
        collectBody: @escaping @Sendable (_ limit: Int) async -> CollectedBody
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.collectBody = collectBody
    }
}

/// The outcome of reading a request body up to a limit.
public enum CollectedBody: Sendable {
    case complete(ByteBuffer)
    case tooLarge
    case failed(String)
}

/// An answer body that arrives over time: relayed from a provider, or replayed from the cache.
public protocol AnswerStream: Sendable {
    /// The body's length, when known in advance.
    var contentLength: Int? { get }
    /// Writes the body chunk by chunk to `write`, completing the request's log at its end.
    /// Throws when the body breaks off (the client must then see a broken answer) or `write` throws.
    func relay(to write: (ByteBuffer) async throws -> Void) async throws
    /// The whole body at once, when all of it is here already, with the same bookkeeping as
    /// ``relay(to:)`` (the server then sends head and body in one write); nil when it is
    /// still arriving and must be relayed.
    func wholeAnswer() -> ByteBuffer?
}

/// What the pipeline answers: status and headers now, body whole or relayed as it arrives.
public struct GatewayResponse: Sendable {
    public var status: Int
    public var headers: HTTPFields
    public var body: Body
    /// The gateway's own error this answer carries, when it is one (so that `/compat` can
    /// answer it in the shape OpenAI's SDKs read).
    public var gatewayError: GatewayError?

    public enum Body: Sendable {
        case buffer(ByteBuffer)
        case stream(any AnswerStream)
    }

    public init(status: Int, headers: HTTPFields, body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
