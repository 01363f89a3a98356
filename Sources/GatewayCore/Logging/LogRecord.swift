import AIGateway
import Foundation
import NIOCore

/// Everything the request path knows about one request, handed to the log writer as is.
///
/// Deriving the stored fields (model, tokens, heads) is left to ``finalized()``, which the
/// writer calls off the request path: the request path never parses a body.
public struct LogRecord: Sendable {
    public var id: String
    public var gatewayID: String
    public var provider: String
    public var path: String
    public var createdAt: Date
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

    /// A record for a request just arrived.
    public init(id: String, gatewayID: String, provider: String, path: String, createdAt: Date, captureCap: Int) {
        self.id = id
        self.gatewayID = gatewayID
        self.provider = provider
        self.path = path
        self.createdAt = createdAt
        self.response = BodyCapture(cap: captureCap)
    }

    /// The bytes of a head: the first 2 KiB of a body.
    public static let headLength = 2048

    /// The stored form: every field of the log derived, bodies capped, the cost from the
    /// caller's custom cost or else `prices`.
    public func finalized(prices: PriceTable = .empty) -> StoredLog {
        let requestBytes = Array(requestBody.readableBytesView)
        let responseBytes = response.scannableBytes
        let usage = UsageExtractor.usage(
            in: responseBytes, contentType: responseContentType, parser: usageParser)
        let model = routing.model(fromPath: path) ?? UsageExtractor.model(inRequestBody: requestBytes) ?? ""
        let modelType = routing.modelType(fromPath: path)
        let isStream = UsageExtractor.isStream(body: Array(response.head.readableBytesView.prefix(16)), contentType: responseContentType)

        let cost = customCost.map { $0.cost(of: usage) } ?? prices.cost(provider: provider, model: model, usage: usage)

        let cap = response.cap
        let storedRequest = storePayload ? Array(requestBytes.prefix(cap)) : nil
        let storedResponse = storePayload ? Array(response.head.readableBytesView) : nil

        let log = AIGatewayLog(
            id: id, gatewayID: gatewayID, provider: provider, model: model, modelType: modelType, path: path,
            duration: durationMs, requestType: response.totalBytes == 0 ? nil : (isStream ? "stream" : "json"),
            requestContentType: requestContentType, statusCode: statusCode,
            responseContentType: responseContentType, success: success, cached: cached,
            tokensIn: usage.totalInput, tokensOut: usage.output, metadata: metadata, step: step, cost: cost,
            customCost: customCost != nil, requestSize: requestBody.readableBytes,
            requestHead: storePayload ? Self.head(requestBytes) : nil,
            requestHeadComplete: storePayload && requestBytes.count <= Self.headLength,
            responseSize: response.totalBytes,
            responseHead: storePayload ? Self.head(Array(response.head.readableBytesView.prefix(Self.headLength))) : nil,
            responseHeadComplete: storePayload && response.totalBytes <= Self.headLength && response.isComplete,
            createdAt: createdAt, eventID: eventID, feedback: nil, score: nil, error: error)
        return StoredLog(log: log, requestBody: storedRequest, responseBody: storedResponse, usage: usage)
    }

    private static func head(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(headLength), as: UTF8.self)
    }
}

/// A log ready for a store: the record's fields, plus the capped bodies when kept.
public struct StoredLog: Sendable {
    public var log: AIGatewayLog
    public var requestBody: [UInt8]?
    public var responseBody: [UInt8]?
    /// The usage read from the answer, including cache reads and writes.
    public var usage: TokenUsage
}
