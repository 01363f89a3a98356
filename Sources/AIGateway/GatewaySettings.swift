import Foundation

/// A gateway and its settings, as the management API shows them (SPEC section 6).
public struct GatewaySettings: Sendable, Hashable, Codable {
    /// The gateway id used in URLs.
    public var id: String
    /// Seconds to cache answers by default; nil or 0 means no caching unless a request asks.
    public var cacheTTL: Int?
    /// Whether changing these settings clears the gateway's cache.
    public var cacheInvalidateOnUpdate: Bool
    /// Whether requests through this gateway are logged.
    public var collectLogs: Bool
    /// Rate-limit window in seconds.
    public var rateLimitingInterval: Int?
    /// Requests allowed per window.
    public var rateLimitingLimit: Int?
    /// `fixed` or `sliding`.
    public var rateLimitingTechnique: String
    /// Whether requests need a valid `cf-aig-authorization` token.
    public var authentication: Bool
    /// The most logs kept for this gateway, or nil for no limit.
    public var logManagement: Int?
    /// `STOP_INSERTING` or `DELETE_OLDEST`, when ``logManagement`` is set.
    public var logManagementStrategy: String?
    /// Keep logs no longer than this many days (aigw's own setting), or nil for no limit.
    public var logRetentionDays: Int?
    /// Budgets in USD over windows of time (SPEC section 11), or nil for none.
    public var spendLimits: SpendLimits?
    /// Guardrails on prompts and answers (SPEC section 11), or nil for none.
    public var guardrails: GuardrailSettings?
    /// Data loss prevention (SPEC section 11), or nil for none.
    public var dlp: DLPSettings?
    /// Where the gateway's spans are exported over OTLP (SPEC section 11), or nil for nowhere.
    public var otel: [OTelExporter]?
    /// Whether stored logs are also exported, sealed with ``logpushPublicKey`` (SPEC section 11).
    public var logpush: Bool
    /// The RSA public key (PEM) Logpush seals each log's bodies and metadata for.
    public var logpushPublicKey: String?
    /// Default attempts per request (1 to 5).
    public var retryMaxAttempts: Int?
    /// Default milliseconds between attempts.
    public var retryDelay: Int?
    /// Default backoff: `constant`, `linear` or `exponential`.
    public var retryBackoff: String?
    public var createdAt: Date
    public var modifiedAt: Date

    /// A gateway with Cloudflare's defaults: logging on, no cache, no rate limit, no authentication.
    public init(id: String, now: Date = Date()) {
        self.id = id
        self.cacheTTL = nil
        self.cacheInvalidateOnUpdate = false
        self.collectLogs = true
        self.rateLimitingInterval = nil
        self.rateLimitingLimit = nil
        self.rateLimitingTechnique = "fixed"
        self.authentication = false
        self.logManagement = nil
        self.logManagementStrategy = nil
        self.logRetentionDays = nil
        self.spendLimits = nil
        self.guardrails = nil
        self.dlp = nil
        self.otel = nil
        self.logpush = false
        self.logpushPublicKey = nil
        self.retryMaxAttempts = nil
        self.retryDelay = nil
        self.retryBackoff = nil
        self.createdAt = now
        self.modifiedAt = now
    }

    enum CodingKeys: String, CodingKey {
        case id, authentication
        case cacheTTL = "cache_ttl"
        case cacheInvalidateOnUpdate = "cache_invalidate_on_update"
        case collectLogs = "collect_logs"
        case rateLimitingInterval = "rate_limiting_interval"
        case rateLimitingLimit = "rate_limiting_limit"
        case rateLimitingTechnique = "rate_limiting_technique"
        case logManagement = "log_management"
        case logManagementStrategy = "log_management_strategy"
        case logRetentionDays = "log_retention_days"
        case spendLimits = "spend_limits"
        case guardrails, dlp, otel, logpush
        case logpushPublicKey = "logpush_public_key"
        case retryMaxAttempts = "retry_max_attempts"
        case retryDelay = "retry_delay"
        case retryBackoff = "retry_backoff"
        case createdAt = "created_at"
        case modifiedAt = "modified_at"
    }

    /// Decodes settings, taking the defaults for every field that is missing (only `id`,
    /// which may also come from the surrounding key, is needed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let id = try container.decodeIfPresent(String.self, forKey: .id) ?? (decoder.codingPath.last?.stringValue ?? "")
        self.init(id: id)
        cacheTTL = try container.decodeIfPresent(Int.self, forKey: .cacheTTL)
        cacheInvalidateOnUpdate = try container.decodeIfPresent(Bool.self, forKey: .cacheInvalidateOnUpdate) ?? false
        collectLogs = try container.decodeIfPresent(Bool.self, forKey: .collectLogs) ?? true
        rateLimitingInterval = try container.decodeIfPresent(Int.self, forKey: .rateLimitingInterval)
        rateLimitingLimit = try container.decodeIfPresent(Int.self, forKey: .rateLimitingLimit)
        rateLimitingTechnique = try container.decodeIfPresent(String.self, forKey: .rateLimitingTechnique) ?? "fixed"
        authentication = try container.decodeIfPresent(Bool.self, forKey: .authentication) ?? false
        logManagement = try container.decodeIfPresent(Int.self, forKey: .logManagement)
        logManagementStrategy = try container.decodeIfPresent(String.self, forKey: .logManagementStrategy)
        logRetentionDays = try container.decodeIfPresent(Int.self, forKey: .logRetentionDays)
        spendLimits = try container.decodeIfPresent(SpendLimits.self, forKey: .spendLimits)
        guardrails = try container.decodeIfPresent(GuardrailSettings.self, forKey: .guardrails)
        dlp = try container.decodeIfPresent(DLPSettings.self, forKey: .dlp)
        otel = try container.decodeIfPresent([OTelExporter].self, forKey: .otel)
        logpush = try container.decodeIfPresent(Bool.self, forKey: .logpush) ?? false
        logpushPublicKey = try container.decodeIfPresent(String.self, forKey: .logpushPublicKey)
        retryMaxAttempts = try container.decodeIfPresent(Int.self, forKey: .retryMaxAttempts)
        retryDelay = try container.decodeIfPresent(Int.self, forKey: .retryDelay)
        retryBackoff = try container.decodeIfPresent(String.self, forKey: .retryBackoff)
        createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt) ?? createdAt
        modifiedAt = try container.decodeIfPresent(Date.self, forKey: .modifiedAt) ?? modifiedAt
    }
}
