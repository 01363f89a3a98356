import AIGateway
import Foundation
import NIOCore

/// Everything the request path knows about one request, handed to the log writer as is.
///
/// Deriving the stored fields (model, tokens, heads) is left to ``finalized()``, which the
/// writer calls off the request path: the request path never parses a body.
///
/// A log's life, in four types:
/// 1. `LogRecord`, the draft: made by `GatewayPipeline.logDraft` when a request begins.
/// 2. ``PendingLog``, the draft in flight: started by `GatewayPipeline.startLog` (one per
///    attempt), filled in as the request goes, finished exactly once by `PendingLog.finish`
///    (relayed, failed with the gateway's error, or never sent), which hands it to the
///    ``LogSink`` (the store's batch writer).
/// 3. ``StoredLog``: what the writer makes of it with ``finalized(prices:)``, off the request
///    path: model, tokens and cost derived, bodies capped. A store writes it as one row.
/// 4. `AIGatewayLog` (in `AIGateway`): the row as the REST API and the Swift library give it.
public struct LogRecord: Sendable {
    public var id: String
    public var gatewayID: String
    public var provider: String
    public var path: String
    public var createdAt: Date
    /// The client's HTTP method (for the access log).
    public var method = "POST"
    public var durationMs: Int = 0
    public var statusCode: Int = 0
    public var success = false
    public var cached = false
    public var step: Int = 0
    public var metadata: LogMetadata?
    public var eventID: String?
    public var requestContentType: String?
    public var responseContentType: String?
    /// False when the request said `cf-aig-collect-log-payload: false`: bodies are read for
    /// usage, then dropped.
    public var storePayload = true
    /// The request body (the whole one the gateway collected; stored up to the capture cap).
    public var requestBody = ByteBuffer()
    /// The capped copy of the answer.
    public var response: BodyCapture
    /// How the provider reports usage.
    public var usageParser: any UsageParser = OpenAIUsageParser()
    /// The provider's path rule, which names the model and its type for some paths.
    public var routing: any ProviderRouting = AppendPathRouting()
    /// What went wrong, when something did.
    public var error: String?
    /// `cf-aig-custom-cost`, which replaces the price table's cost.
    public var customCost: CustomCost?
    /// The dynamic route the request took, when it came through one.
    public var route: LogRoute?
    /// What data loss prevention found and did.
    public var dlp: LogDLP?
    /// What the guardrails found and did.
    public var guardrails: LogGuardrails?
    /// The request's spans, when its gateway exports them (`otel`): the log writer adds this
    /// log's span once its fields are derived.
    public var trace: RequestTrace?
    /// This attempt's span id (sent upstream in `traceparent`).
    public var spanID: [UInt8]?
    /// Whether the stored log is also exported by Logpush (its gateway's `logpush`).
    public var logpush = false
    /// False for a request whose log is not collected (`collect_logs: false`,
    /// `cf-aig-collect-log: false`) but whose gateway exports spans: the record is made, so
    /// that its span has the model, tokens and cost, and the writer does not store it.
    public var stored = true

    /// A record for a request just arrived.
    public init(id: String, gatewayID: String, provider: String, path: String, createdAt: Date, captureCap: Int) {
        self.id = id
        self.gatewayID = gatewayID
        self.provider = provider
        self.path = path
        self.createdAt = createdAt
        self.response = BodyCapture(cap: captureCap)
    }

    /// Takes what the request's `cf-aig-*` headers ask of its log: metadata, event id,
    /// whether bodies are kept, a custom cost.
    mutating func apply(_ directives: RequestDirectives) {
        metadata = directives.metadata
        eventID = directives.eventID
        storePayload = directives.collectLogPayload != false
        customCost = directives.customCost
    }

    /// The stored form: every field of the log derived, bodies capped, the cost from the
    /// caller's custom cost or else `prices`. A body its head holds byte for byte (small text,
    /// the common case) is stored once, as the head; ``StoredLog/requestBody`` and
    /// ``StoredLog/responseBody`` carry only the bodies a head cannot.
    public func finalized(prices: PriceTable = .empty) -> StoredLog {
        let requestBytes = Array(requestBody.readableBytesView)
        let responseBytes = response.scannableBytes
        let usage = UsageExtractor.usage(
            in: responseBytes, contentType: responseContentType, parser: usageParser)
        let model = routing.model(fromPath: path) ?? UsageExtractor.model(inRequestBody: requestBytes) ?? ""
        let modelType = routing.modelType(fromPath: path)
        let isStream = UsageExtractor.isStream(body: Array(response.head.readableBytesView.prefix(16)), contentType: responseContentType)

        let cost = customCost.map { $0.cost(of: usage) } ?? prices.cost(provider: provider, model: model, usage: usage)

        let requestHead = storePayload ? BodyHead(of: requestBytes, complete: true) : nil
        let responseHead = storePayload ? BodyHead(of: response.head.readableBytesView, complete: response.isComplete) : nil
        let storedRequest = requestHead.flatMap { $0.isExact ? nil : Array(requestBytes.prefix(response.cap)) }
        let storedResponse = responseHead.flatMap { $0.isExact ? nil : Array(response.head.readableBytesView) }

        let log = AIGatewayLog(
            id: id, gatewayID: gatewayID, provider: provider, model: LogText.indexed(model), modelType: modelType,
            path: LogText.storable(path),
            duration: durationMs, requestType: response.totalBytes == 0 ? nil : (isStream ? "stream" : "json"),
            requestContentType: requestContentType, statusCode: statusCode,
            responseContentType: responseContentType, success: success, cached: cached,
            tokensIn: usage.totalInput, tokensOut: usage.output, metadata: metadata, step: step, cost: cost,
            customCost: customCost != nil, requestSize: requestBody.readableBytes,
            requestHead: requestHead?.text, requestHeadComplete: requestHead?.complete ?? false,
            responseSize: response.totalBytes,
            responseHead: responseHead?.text, responseHeadComplete: responseHead?.complete ?? false,
            createdAt: createdAt, eventID: eventID.map(LogText.indexed), feedback: nil, score: nil,
            error: error.map(LogText.storable), route: route, dlp: dlp, guardrails: guardrails)
        return StoredLog(log: log, requestBody: storedRequest, responseBody: storedResponse, usage: usage, logpush: logpush)
    }
}

/// A log ready for a store: the record's fields, plus the capped bodies its heads do not hold.
public struct StoredLog: Sendable {
    /// The log's fields.
    public var log: AIGatewayLog
    /// The request body (capped), when it is kept and the request head is not all of it.
    public var requestBody: [UInt8]?
    /// The response body (capped), when it is kept and the response head is not all of it.
    public var responseBody: [UInt8]?
    /// The usage read from the answer, including cache reads and writes.
    public var usage: TokenUsage
    /// Whether Logpush exports the log once it is stored.
    public var logpush: Bool

    /// A stored log of these parts.
    public init(log: AIGatewayLog, requestBody: [UInt8]?, responseBody: [UInt8]?, usage: TokenUsage, logpush: Bool = false) {
        self.log = log
        self.requestBody = requestBody
        self.responseBody = responseBody
        self.usage = usage
        self.logpush = logpush
    }
}
