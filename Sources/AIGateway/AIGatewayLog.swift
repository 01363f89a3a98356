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
    /// The dynamic route the request took, when it came through one (an aigw extension).
    public var route: LogRoute?
    /// What data loss prevention found and did (profiles and positions, never the text).
    public var dlp: LogDLP?
    /// What the guardrails found and did.
    public var guardrails: LogGuardrails?

    /// Creates a log record with every field given.
    public init(
        id: String, gatewayID: String, provider: String, model: String, modelType: String?, path: String,
        duration: Int, requestType: String?, requestContentType: String?, statusCode: Int,
        responseContentType: String?, success: Bool, cached: Bool, tokensIn: Int?, tokensOut: Int?,
        metadata: LogMetadata?, step: Int?, cost: Double?, customCost: Bool?, requestSize: Int,
        requestHead: String?, requestHeadComplete: Bool, responseSize: Int, responseHead: String?,
        responseHeadComplete: Bool, createdAt: Date, eventID: String?, feedback: Int?, score: Int?,
        error: String? = nil, route: LogRoute? = nil, dlp: LogDLP? = nil, guardrails: LogGuardrails? = nil
    ) {
        self.route = route
        self.dlp = dlp
        self.guardrails = guardrails
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


    /// Decodes a log; fields a Cloudflare answer may leave out take empty values, and
    /// `metadata` may be an object or (as Cloudflare's REST API sends it) JSON text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        gatewayID = try container.decodeIfPresent(String.self, forKey: .gatewayID) ?? ""
        provider = try container.decodeIfPresent(String.self, forKey: .provider) ?? ""
        model = try container.decodeIfPresent(String.self, forKey: .model) ?? ""
        modelType = try container.decodeIfPresent(String.self, forKey: .modelType)
        path = try container.decodeIfPresent(String.self, forKey: .path) ?? ""
        duration = try container.decodeIfPresent(Int.self, forKey: .duration) ?? 0
        requestType = try container.decodeIfPresent(String.self, forKey: .requestType)
        requestContentType = try container.decodeIfPresent(String.self, forKey: .requestContentType)
        statusCode = try container.decodeIfPresent(Int.self, forKey: .statusCode) ?? 0
        responseContentType = try container.decodeIfPresent(String.self, forKey: .responseContentType)
        success = try container.decodeIfPresent(Bool.self, forKey: .success) ?? false
        cached = try container.decodeIfPresent(Bool.self, forKey: .cached) ?? false
        tokensIn = try container.decodeIfPresent(Int.self, forKey: .tokensIn)
        tokensOut = try container.decodeIfPresent(Int.self, forKey: .tokensOut)
        metadata = try Self.decodeMetadata(from: container)
        step = try container.decodeIfPresent(Int.self, forKey: .step)
        cost = try container.decodeIfPresent(Double.self, forKey: .cost)
        customCost = try container.decodeIfPresent(Bool.self, forKey: .customCost)
        requestSize = try container.decodeIfPresent(Int.self, forKey: .requestSize) ?? 0
        requestHead = try container.decodeIfPresent(String.self, forKey: .requestHead)
        requestHeadComplete = try container.decodeIfPresent(Bool.self, forKey: .requestHeadComplete) ?? false
        responseSize = try container.decodeIfPresent(Int.self, forKey: .responseSize) ?? 0
        responseHead = try container.decodeIfPresent(String.self, forKey: .responseHead)
        responseHeadComplete = try container.decodeIfPresent(Bool.self, forKey: .responseHeadComplete) ?? false
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        eventID = try container.decodeIfPresent(String.self, forKey: .eventID)
        feedback = try container.decodeIfPresent(Int.self, forKey: .feedback)
        score = try container.decodeIfPresent(Int.self, forKey: .score)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        route = try container.decodeIfPresent(LogRoute.self, forKey: .route)
        dlp = try container.decodeIfPresent(LogDLP.self, forKey: .dlp)
        guardrails = try container.decodeIfPresent(LogGuardrails.self, forKey: .guardrails)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(gatewayID, forKey: .gatewayID)
        try container.encode(provider, forKey: .provider)
        try container.encode(model, forKey: .model)
        try container.encodeIfPresent(modelType, forKey: .modelType)
        try container.encode(path, forKey: .path)
        try container.encode(duration, forKey: .duration)
        try container.encodeIfPresent(requestType, forKey: .requestType)
        try container.encodeIfPresent(requestContentType, forKey: .requestContentType)
        try container.encode(statusCode, forKey: .statusCode)
        try container.encodeIfPresent(responseContentType, forKey: .responseContentType)
        try container.encode(success, forKey: .success)
        try container.encode(cached, forKey: .cached)
        try container.encodeIfPresent(tokensIn, forKey: .tokensIn)
        try container.encodeIfPresent(tokensOut, forKey: .tokensOut)
        // As Cloudflare's REST API writes it: the metadata object as JSON text.
        if let metadata {
            let text = String(decoding: try JSONEncoder().encode(metadata), as: UTF8.self)
            try container.encode(text, forKey: .metadata)
        }
        try container.encodeIfPresent(step, forKey: .step)
        try container.encodeIfPresent(cost, forKey: .cost)
        try container.encodeIfPresent(customCost, forKey: .customCost)
        try container.encode(requestSize, forKey: .requestSize)
        try container.encodeIfPresent(requestHead, forKey: .requestHead)
        try container.encode(requestHeadComplete, forKey: .requestHeadComplete)
        try container.encode(responseSize, forKey: .responseSize)
        try container.encodeIfPresent(responseHead, forKey: .responseHead)
        try container.encode(responseHeadComplete, forKey: .responseHeadComplete)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(eventID, forKey: .eventID)
        try container.encodeIfPresent(feedback, forKey: .feedback)
        try container.encodeIfPresent(score, forKey: .score)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(route, forKey: .route)
        try container.encodeIfPresent(dlp, forKey: .dlp)
        try container.encodeIfPresent(guardrails, forKey: .guardrails)
    }

    private static func decodeMetadata(from container: KeyedDecodingContainer<CodingKeys>) throws -> LogMetadata? {
        if let object = try? container.decodeIfPresent(LogMetadata.self, forKey: .metadata) { return object }
        guard let text = try container.decodeIfPresent(String.self, forKey: .metadata), !text.isEmpty else { return nil }
        return try JSONDecoder().decode(LogMetadata.self, from: Data(text.utf8))
    }

    enum CodingKeys: String, CodingKey {
        case id, provider, model, path, duration, success, cached, metadata, step, cost, feedback, score, error, route, dlp, guardrails
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

/// Which dynamic route a logged request took: its name, the version that ran it, and the ids of
/// the elements it passed through, in order.
public struct LogRoute: Sendable, Hashable, Codable {
    /// The route's name.
    public var name: String
    /// The version that ran the request.
    public var versionID: String
    /// The ids of the elements passed, in order.
    public var path: [String]

    /// A route taken.
    public init(name: String, versionID: String, path: [String]) {
        self.name = name
        self.versionID = versionID
        self.path = path
    }

    enum CodingKeys: String, CodingKey {
        case name, path
        case versionID = "version_id"
    }
}

/// What data loss prevention found in a logged request or answer and did about it.
public struct LogDLP: Sendable, Hashable, Codable {
    /// `FLAG`, `BLOCK` or `REDACT`.
    public var action: String
    /// What was found, in order.
    public var findings: [Finding]

    /// One match of a profile.
    public struct Finding: Sendable, Hashable, Codable {
        /// The profile that matched.
        public var profile: String
        /// `REQUEST` or `RESPONSE`.
        public var check: String
        /// Where the match was, in bytes of the scanned body (never the text itself).
        public var start: Int
        /// Where the match ended (exclusive), in bytes.
        public var end: Int
        /// The policies that looked for the profile.
        public var policyIDs: [String]

        /// A finding.
        public init(profile: String, check: String, start: Int, end: Int, policyIDs: [String]) {
            self.profile = profile
            self.check = check
            self.start = start
            self.end = end
            self.policyIDs = policyIDs
        }

        enum CodingKeys: String, CodingKey {
            case profile, check, start, end
            case policyIDs = "policy_ids"
        }
    }

    /// A verdict with its findings.
    public init(action: String, findings: [Finding]) {
        self.action = action
        self.findings = findings
    }
}

/// What the guardrails found in a logged request or answer and did about it.
public struct LogGuardrails: Sendable, Hashable, Codable {
    /// `FLAG`, `BLOCK`, `PASS` (checked, nothing found), or `UNCHECKED` (the guard could not be asked).
    public var action: String
    /// The categories the guard reported (`S1`, `P1`, ...).
    public var categories: [String]
    /// `REQUEST` or `RESPONSE`: which check decided (the request's, unless the answer's found more).
    public var check: String

    /// A verdict.
    public init(action: String, categories: [String], check: String) {
        self.action = action
        self.categories = categories
        self.check = check
    }
}
