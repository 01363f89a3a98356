/// The request and response headers a gateway reads and writes (SPEC section 4).
///
/// Request headers with the `cf-aig-` prefix are consumed by the gateway and never
/// forwarded to a provider.
public enum GatewayHeader {
    /// The prefix of every gateway header.
    public static let prefix = "cf-aig-"

    /// The run token of an authenticated gateway.
    public static let authorization = "cf-aig-authorization"
    /// Seconds to cache this answer.
    public static let cacheTTL = "cf-aig-cache-ttl"
    /// `true`: neither read nor write the cache.
    public static let skipCache = "cf-aig-skip-cache"
    /// A cache key to use instead of the one computed from the request.
    public static let cacheKey = "cf-aig-cache-key"
    /// A JSON object of at most 5 entries stored on the log.
    public static let metadata = "cf-aig-metadata"
    /// A cost that replaces the computed one.
    public static let customCost = "cf-aig-custom-cost"
    /// `false`: do not log this request.
    public static let collectLog = "cf-aig-collect-log"
    /// `false`: log without the request and response bodies.
    public static let collectLogPayload = "cf-aig-collect-log-payload"
    /// The caller's event id, stored on the log and echoed back.
    public static let eventID = "cf-aig-event-id"
    /// Milliseconds to the first response byte.
    public static let requestTimeout = "cf-aig-request-timeout"
    /// Attempts per request, 1 to 5.
    public static let maxAttempts = "cf-aig-max-attempts"
    /// Milliseconds between attempts.
    public static let retryDelay = "cf-aig-retry-delay"
    /// `constant`, `linear` or `exponential`.
    public static let backoff = "cf-aig-backoff"
    /// Which stored provider key to use.
    public static let byokAlias = "cf-aig-byok-alias"
    /// The caller's trace id (32 hex digits): the request's span joins that trace.
    public static let otelTraceID = "cf-aig-otel-trace-id"
    /// The caller's span id (16 hex digits): the request's span is its child.
    public static let otelParentSpanID = "cf-aig-otel-parent-span-id"

    /// Legacy spelling of ``cacheTTL``, still accepted.
    public static let legacyCacheTTL = "cf-cache-ttl"
    /// Legacy spelling of ``skipCache``, still accepted.
    public static let legacySkipCache = "cf-skip-cache"

    /// Response: the id of the log written for this request.
    public static let logID = "cf-aig-log-id"
    /// Response: `HIT` or `MISS` whenever caching applied.
    public static let cacheStatus = "cf-aig-cache-status"
    /// Response: which Universal endpoint step answered.
    public static let step = "cf-aig-step"
    /// Response: what data loss prevention found and did, as JSON.
    public static let dlp = "cf-aig-dlp"
    /// Response: the model a dynamic route called.
    public static let model = "cf-aig-model"
    /// Response: the provider a dynamic route called.
    public static let provider = "cf-aig-provider"
    /// Response (aigw's own): the USD left in each spend rule that applied to the request,
    /// before its own cost, as `rule-id=0.420000, other=1.500000`.
    public static let spendRemaining = "cf-aig-spend-remaining"
}
