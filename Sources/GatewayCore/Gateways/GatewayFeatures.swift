import AIGateway

/// The gateway features of SPEC sections 7 and 11 that keep state between requests:
/// rate-limit windows, spend counters, run tokens, stored provider keys, and the response cache. The pipeline reads
/// them; the management API changes them, and tells them when a gateway changes or goes.
public struct GatewayFeatures: Sendable {
    public let rateLimiter: any RateLimiting
    public let runTokens: RunTokens
    public let providerKeys: ProviderKeys
    public let cache: ResponseCache
    public let spendLimiter: SpendLimiter
    /// Custom providers made through the API (the provider table reads the same registry).
    public let customProviders: CustomProviderRegistry
    /// The live versions of the gateways' dynamic routes.
    public let routes: DynamicRouteRegistry
    /// The gateways' DLP settings, compiled.
    public let protection = ProtectionCache()
    /// Where the spans of gateways with `otel` exporters go; nil when nothing exports them.
    public let spans: SpanExporter?
    /// How Logpush fares in this process (the dashboard shows it).
    public let logpush = LogpushStatus()

    /// Features over these parts; spend counted in this process unless `spendLimiter` says otherwise.
    public init(
        rateLimiter: any RateLimiting, runTokens: RunTokens, providerKeys: ProviderKeys, cache: ResponseCache,
        spendLimiter: SpendLimiter = SpendLimiter(ledger: LocalSpendLedger(), prices: .empty),
        customProviders: CustomProviderRegistry = CustomProviderRegistry(),
        routes: DynamicRouteRegistry = DynamicRouteRegistry(), spans: SpanExporter? = nil
    ) {
        self.spans = spans
        self.routes = routes
        self.customProviders = customProviders
        self.rateLimiter = rateLimiter
        self.spendLimiter = spendLimiter
        self.runTokens = runTokens
        self.providerKeys = providerKeys
        self.cache = cache
    }

    /// A gateway's settings changed: with `cache_invalidate_on_update` its cached answers go.
    public func gatewayUpdated(_ settings: GatewaySettings) {
        if settings.cacheInvalidateOnUpdate { cache.removeAll(gatewayID: settings.id) }
    }

    /// A gateway was deleted: everything kept for it goes.
    public func gatewayDeleted(_ id: String) {
        rateLimiter.forget(id)
        spendLimiter.ledger.forget(gatewayID: id)
        routes.forget(gatewayID: id)
        runTokens.records.removeAll(gatewayID: id)
        providerKeys.records.removeAll(gatewayID: id)
        cache.removeAll(gatewayID: id)
    }
}
