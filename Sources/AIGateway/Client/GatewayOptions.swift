import Foundation

/// Options of ``AI/run(_:input:options:)``, as in Cloudflare's binding: `{gateway: {...}}`.
public struct RunOptions: Sendable, Hashable {
    /// Send the run through this gateway; nil sends it straight to Workers AI.
    public var gateway: GatewayOptions?
    /// More request headers (for instance `cf-aig-authorization` or a custom `cf-aig-*`).
    public var extraHeaders: [String: String]

    /// Options for one run.
    public init(gateway: GatewayOptions? = nil, extraHeaders: [String: String] = [:]) {
        self.gateway = gateway
        self.extraHeaders = extraHeaders
    }
}

/// How a run goes through a gateway: Cloudflare's `gateway` options, each sent as its
/// `cf-aig-*` header (SPEC section 4).
public struct GatewayOptions: Sendable, Hashable {
    /// The gateway id.
    public var id: String
    /// `cf-aig-skip-cache`.
    public var skipCache: Bool?
    /// `cf-aig-cache-ttl`, in seconds.
    public var cacheTtl: Int?
    /// `cf-aig-cache-key`.
    public var cacheKey: String?
    /// `cf-aig-metadata`: at most 5 entries.
    public var metadata: LogMetadata?
    /// `cf-aig-collect-log`.
    public var collectLog: Bool?
    /// `cf-aig-event-id`.
    public var eventId: String?
    /// `cf-aig-request-timeout`, in milliseconds.
    public var requestTimeoutMs: Int?
    /// `cf-aig-max-attempts`, `cf-aig-retry-delay`, `cf-aig-backoff`.
    public var retries: Retries?

    /// Options naming the gateway and, optionally, what to ask of it.
    public init(
        id: String, skipCache: Bool? = nil, cacheTtl: Int? = nil, cacheKey: String? = nil, metadata: LogMetadata? = nil,
        collectLog: Bool? = nil, eventId: String? = nil, requestTimeoutMs: Int? = nil, retries: Retries? = nil
    ) {
        self.id = id
        self.skipCache = skipCache
        self.cacheTtl = cacheTtl
        self.cacheKey = cacheKey
        self.metadata = metadata
        self.collectLog = collectLog
        self.eventId = eventId
        self.requestTimeoutMs = requestTimeoutMs
        self.retries = retries
    }

    /// Retries of a run by the gateway.
    public struct Retries: Sendable, Hashable {
        /// 1 to 5.
        public var maxAttempts: Int?
        /// Milliseconds between attempts, at most 5000.
        public var retryDelayMs: Int?
        public var backoff: Backoff?

        /// Retry settings; those left nil take the gateway's.
        public init(maxAttempts: Int? = nil, retryDelayMs: Int? = nil, backoff: Backoff? = nil) {
            self.maxAttempts = maxAttempts
            self.retryDelayMs = retryDelayMs
            self.backoff = backoff
        }
    }

    /// How the delay grows between attempts.
    public enum Backoff: String, Sendable, Hashable, Codable {
        case constant, linear, exponential
    }

    /// The `cf-aig-*` headers these options stand for, in a fixed order.
    public var headers: [(name: String, value: String)] {
        var headers: [(String, String)] = []
        func add(_ name: String, _ value: String?) {
            if let value { headers.append((name, value)) }
        }
        add(GatewayHeader.skipCache, skipCache.map { $0 ? "true" : "false" })
        add(GatewayHeader.cacheTTL, cacheTtl.map(String.init))
        add(GatewayHeader.cacheKey, cacheKey)
        add(
            GatewayHeader.metadata,
            metadata.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) })
        add(GatewayHeader.collectLog, collectLog.map { $0 ? "true" : "false" })
        add(GatewayHeader.eventID, eventId)
        add(GatewayHeader.requestTimeout, requestTimeoutMs.map(String.init))
        add(GatewayHeader.maxAttempts, retries?.maxAttempts.map(String.init))
        add(GatewayHeader.retryDelay, retries?.retryDelayMs.map(String.init))
        add(GatewayHeader.backoff, retries?.backoff?.rawValue)
        return headers
    }
}
