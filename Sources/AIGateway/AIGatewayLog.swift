import Foundation

/// One logged request, with the fields of Cloudflare's `AiGatewayLog` type plus
/// `event_id`, `feedback` and `score`.
///
/// This is the shape the management API returns and the client library decodes.
public struct AIGatewayLog: Sendable, Hashable, Codable {
    /// A ULID: 26 characters, sortable by creation time.
    public var id: String
    /// The gateway the request went through.
    public var gatewayID: String
    /// The provider slug (`openai`, `workers-ai`, ...).
    public var provider: String
    /// The model, from the request body or, for providers that name it there, the path.
    public var model: String
    /// What kind of model call this was: `chat`, `completion`, `embedding`, ... when known.
    public var modelType: String?
    /// The provider path, as sent after the provider slug.
    public var path: String
    /// Milliseconds from the request's arrival to its last response byte.
    public var duration: Int
    /// `stream` for streamed answers, `json` for whole ones, when known.
    public var requestType: String?
    public var requestContentType: String?
    public var statusCode: Int
    public var responseContentType: String?
    /// Whether the upstream answered with a 2xx status and the whole answer was relayed.
    public var success: Bool
    /// Whether the answer came from the gateway's cache.
    public var cached: Bool
    public var tokensIn: Int?
    public var tokensOut: Int?
    public var metadata: LogMetadata?
    /// The Universal endpoint step (0 for the first, or for provider routes).
    public var step: Int?
    /// Cost in USD, when it is known.
    public var cost: Double?
    /// Whether ``cost`` came from a `cf-aig-custom-cost` header.
    public var customCost: Bool?
    public var requestSize: Int
    /// The first 2 KiB of the request body.
    public var requestHead: String?
    /// Whether ``requestHead`` holds the whole request body.
    public var requestHeadComplete: Bool
    public var responseSize: Int
    /// The first 2 KiB of the response body.
    public var responseHead: String?
    /// Whether ``responseHead`` holds the whole response body.
    public var responseHeadComplete: Bool
    public var createdAt: Date
    /// The caller's `cf-aig-event-id`.
    public var eventID: String?
    /// -1, 1, or nil when none was given.
    public var feedback: Int?
    /// 0 to 100, or nil when none was given.
    public var score: Int?
    /// What went wrong, for a request the gateway or the upstream could not complete
    /// (an aigw extension; Cloudflare's type has no such field).
    public var error: String?

    /// Creates a log record with every field given.
    public init(
        id: String, gatewayID: String, provider: String, model: String, modelType: String?, path: String,
        duration: Int, requestType: String?, requestContentType: String?, statusCode: Int,
        responseContentType: String?, success: Bool, cached: Bool, tokensIn: Int?, tokensOut: Int?,
        metadata: LogMetadata?, step: Int?, cost: Double?, customCost: Bool?, requestSize: Int,
        requestHead: String?, requestHeadComplete: Bool, responseSize: Int, responseHead: String?,
        responseHeadComplete: Bool, createdAt: Date, eventID: String?, feedback: Int?, score: Int?,
        error: String? = nil
    ) {
        self.id = id
        self.gatewayID = gatewayID
        self.provider = provider
        self.model = model
        self.modelType = modelType
        self.path = path
        self.duration = duration
        self.requestType = requestType
        self.requestContentType = requestContentType
        self.statusCode = statusCode
        self.responseContentType = responseContentType
        self.success = success
        self.cached = cached
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.metadata = metadata
        self.step = step
        self.cost = cost
        self.customCost = customCost
        self.requestSize = requestSize
        self.requestHead = requestHead
        self.requestHeadComplete = requestHeadComplete
        self.responseSize = responseSize
        self.responseHead = responseHead
        self.responseHeadComplete = responseHeadComplete
        self.createdAt = createdAt
        self.eventID = eventID
        self.feedback = feedback
        self.score = score
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case id, provider, model, path, duration, success, cached, metadata, step, cost, feedback, score, error
        case gatewayID = "gateway_id"
        case modelType = "model_type"
        case requestType = "request_type"
        case requestContentType = "request_content_type"
        case statusCode = "status_code"
        case responseContentType = "response_content_type"
        case tokensIn = "tokens_in"
        case tokensOut = "tokens_out"
        case customCost = "custom_cost"
        case requestSize = "request_size"
        case requestHead = "request_head"
        case requestHeadComplete = "request_head_complete"
        case responseSize = "response_size"
        case responseHead = "response_head"
        case responseHeadComplete = "response_head_complete"
        case createdAt = "created_at"
        case eventID = "event_id"
    }
}
