/// The request and response headers a gateway reads and writes (SPEC section 4).
///
/// Request headers with the `cf-aig-` prefix are consumed by the gateway and never
/// forwarded to a provider.
public enum GatewayHeader {
    public static let prefix = "cf-aig-"

    public static let authorization = "cf-aig-authorization"
    public static let cacheTTL = "cf-aig-cache-ttl"
    public static let skipCache = "cf-aig-skip-cache"
    public static let cacheKey = "cf-aig-cache-key"
    public static let metadata = "cf-aig-metadata"
    public static let customCost = "cf-aig-custom-cost"
    public static let collectLog = "cf-aig-collect-log"
    public static let collectLogPayload = "cf-aig-collect-log-payload"
    public static let eventID = "cf-aig-event-id"
    public static let requestTimeout = "cf-aig-request-timeout"
    public static let maxAttempts = "cf-aig-max-attempts"
    public static let retryDelay = "cf-aig-retry-delay"
    public static let backoff = "cf-aig-backoff"
    public static let byokAlias = "cf-aig-byok-alias"

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
}
