import HTTPTypes

/// What a request asks the mock to do wrong or slowly, from its `x-mock-*` headers.
/// Because the gateway forwards every non-gateway header, tests set these on their
/// request to the gateway.
///
/// | header | effect |
/// | --- | --- |
/// | `x-mock-status: 503` | answer with this status and the provider's error body |
/// | `x-mock-latency-ms: 200` | wait this long before the response head |
/// | `x-mock-chunk-delay-ms: 50` | wait this long between streamed chunks |
/// | `x-mock-chunks: 5` | content chunks in a stream (default 3) |
/// | `x-mock-drop-after: 1` | close the connection after this many chunks (mid-stream drop) |
/// | `x-mock-hang: true` | never answer |
/// | `x-mock-gate: TOKEN` | after the first chunk, wait for `POST /_mock/release/TOKEN` |
/// | `x-mock-retry-after: 1` | with a status: send `Retry-After` |
/// | `x-mock-fail-first: 2` + `x-mock-sequence: KEY` | the first 2 requests carrying KEY fail (with `x-mock-status`, else 503, or `x-mock-hang`); later ones answer normally |
struct MockFaults: Sendable {
    var status: Int?
    var latencyMs: Int
    var chunkDelayMs: Int
    var chunks: Int
    var dropAfter: Int?
    var hang: Bool
    var gate: String?
    var retryAfter: String?
    var failFirst: Int?
    var sequence: String?

    init(headers: HTTPFields, defaults: MockUpstreamOptions) {
        func value(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
        status = value("x-mock-status").flatMap(Int.init)
        latencyMs = value("x-mock-latency-ms").flatMap(Int.init) ?? defaults.latencyMs
        chunkDelayMs = value("x-mock-chunk-delay-ms").flatMap(Int.init) ?? defaults.chunkDelayMs
        chunks = max(1, value("x-mock-chunks").flatMap(Int.init) ?? 3)
        dropAfter = value("x-mock-drop-after").flatMap(Int.init)
        hang = value("x-mock-hang") == "true"
        gate = value("x-mock-gate")
        retryAfter = value("x-mock-retry-after")
        failFirst = value("x-mock-fail-first").flatMap(Int.init)
        sequence = value("x-mock-sequence")
    }
}

/// How the mock behaves when a request does not say otherwise.
public struct MockUpstreamOptions: Sendable {
    /// Milliseconds before every response head.
    public var latencyMs: Int
    /// Milliseconds between streamed chunks.
    public var chunkDelayMs: Int
    /// Whether requests are kept for `GET /_mock/requests` (off for benchmarks).
    public var recordRequests: Bool

    public init(latencyMs: Int = 0, chunkDelayMs: Int = 0, recordRequests: Bool = true) {
        self.latencyMs = latencyMs
        self.chunkDelayMs = chunkDelayMs
        self.recordRequests = recordRequests
    }
}
