import AIGateway
import Foundation
import HTTPTypes
import NIOCore

/// The stages of SPEC sections 7 and 11: authentication, the rate limit, stored provider
/// keys, the cache, and spend limits.
extension GatewayPipeline {
    /// On a gateway with `authentication` on, only a request with a live run token in
    /// `cf-aig-authorization` goes on; any other gets 401, code 2009.
    func authenticate(_ request: GatewayRequest, gateway: GatewaySettings) -> GatewayError? {
        guard gateway.authentication else { return nil }
        let given = request.headers[Self.authorizationHeader]
        guard features.runTokens.accepts(given, gatewayID: gateway.id) else {
            return .unauthorized(gatewayID: gateway.id, tokenGiven: given != nil)
        }
        return nil
    }

    /// Why the request goes no further: no valid token, or over the rate limit (checked in
    /// that order, so unauthenticated requests spend nobody's budget); nil when it may go on.
    func refusal(_ request: GatewayRequest, gateway: GatewaySettings) async -> GatewayError? {
        if let refused = authenticate(request, gateway: gateway) { return refused }
        return await rateLimit(gateway)
    }

    /// Counts the request against the gateway's rate limit: over it, 429, code 2003.
    func rateLimit(_ gateway: GatewaySettings) async -> GatewayError? {
        guard case .limited(let seconds) = await features.rateLimiter.admit(gateway) else { return nil }
        return .rateLimited(gateway, retryAfterSeconds: seconds)
    }

    /// On an authenticated gateway, a request that brings no credential of its own (in any
    /// header or query parameter of ``ClientCredentials``) gets the gateway's stored key for
    /// its provider (alias `default`, or `cf-aig-byok-alias`).
    func withStoredKey(_ call: ProviderCall, gateway: GatewaySettings, alias: String?) throws -> ProviderCall {
        guard gateway.authentication, let header = call.provider.credentialHeader, let name = HTTPField.Name(header),
            !ClientCredentials.present(headers: call.headers, query: call.query),
            let secret = try features.providerKeys.secret(
                gatewayID: gateway.id, provider: call.provider.slug.rawValue, alias: alias)
        else { return call }
        var call = call
        let bearer = header == "authorization" && !secret.lowercased().hasPrefix("bearer ")
        call.headers[name] = bearer ? "Bearer \(secret)" : secret
        return call
    }

    /// What the cache stage decided.
    enum CacheDecision {
        /// Caching does not apply (no TTL, or `cf-aig-skip-cache`).
        case notApplied
        /// Answered without the provider: from an entry, or following an identical request.
        case answered(GatewayResponse)
        /// Call the provider; `recorder` (when leading) records the answer for the cache and
        /// for identical requests that come meanwhile.
        case miss(recorder: InFlightAnswer?)
    }

    /// Looks the request up in the cache, when its TTL (`cf-aig-cache-ttl`, else the
    /// gateway's `cache_ttl`) says to cache and `cf-aig-skip-cache` does not say otherwise.
    func consultCache(
        _ call: ProviderCall, gateway: GatewaySettings, directives: RequestDirectives, log: PendingLog?
    ) async -> CacheDecision {
        guard directives.skipCache != true, let ttl = directives.cacheTTL ?? gateway.cacheTTL, ttl > 0 else {
            return .notApplied
        }
        let key = CacheKey(
            gatewayID: gateway.id, method: call.method.rawValue, provider: call.provider.slug.rawValue, path: call.path,
            query: call.query, credentials: ClientCredentials.fingerprint(headers: call.headers, query: call.query),
            body: call.body, customKey: directives.cacheKey)
        let started = ContinuousClock.now
        switch features.cache.lookup(key, ttlSeconds: ttl) {
        case .hit(let entry):
            metrics.cacheLookup(hit: true)
            return .answered(
                replay(.entry(entry.chunks), status: entry.status, headers: entry.headers, length: entry.bytes, call: call,
                    log: log, eventID: directives.eventID, started: started))
        case .follow(let leader):
            guard let head = await leader.head() else {
                // The identical request's answer is not one to share: make this call too.
                metrics.cacheLookup(hit: false)
                return .miss(recorder: nil)
            }
            metrics.cacheLookup(hit: true)
            return .answered(
                replay(.following(leader), status: head.status, headers: head.headers, length: nil, call: call, log: log,
                    eventID: directives.eventID, started: started))
        case .lead(let recorder):
            // Behind this process's cache, the tier other processes share may have it.
            if let entry = await features.cache.shared?.entry(for: key) {
                recorder.begin(status: entry.status, headers: entry.headers)
                for chunk in entry.chunks { recorder.append(chunk) }
                recorder.finish(fromSharedTier: true)
                metrics.cacheLookup(hit: true)
                return .answered(
                    replay(.entry(entry.chunks), status: entry.status, headers: entry.headers, length: entry.bytes, call: call,
                        log: log, eventID: directives.eventID, started: started))
            }
            metrics.cacheLookup(hit: false)
            return .miss(recorder: recorder)
        }
    }

    /// An answer from the cache (or from an identical request in flight), logged as cached.
    private func replay(
        _ source: CacheReplay.Source, status: Int, headers: HTTPFields, length: Int?, call: ProviderCall, log: PendingLog?,
        eventID: String?, started: ContinuousClock.Instant
    ) -> GatewayResponse {
        log?.update { record in
            record.provider = call.provider.slug.rawValue
            record.path = call.path
            record.requestBody = call.body
            record.cached = true
            record.statusCode = status
            record.success = true
            record.responseContentType = headers[.contentType]
            // What is replayed is what the client got: OpenAI's format on /compat.
            record.usageParser = call.translator == nil ? call.provider.usage : OpenAIUsageParser()
            record.routing = call.provider.routing
        }
        var answerHeaders = headers
        answerHeaders.addGatewayIDs(logID: log?.storedID, eventID: eventID)
        answerHeaders[Self.cacheStatusHeader] = "HIT"
        metrics.requestFinished(provider: call.provider.slug.rawValue, status: status)
        let stream = CacheReplay(
            source: source, contentLength: length, log: log, captureCap: configuration.logBodyCapBytes, started: started)
        return GatewayResponse(status: status, headers: answerHeaders, body: .stream(stream))
    }

    /// Checks the call against the gateway's spend limits (SPEC section 11), before it goes to
    /// a provider: over a budget, 429 with code 2050. Under them, the call carries the charge
    /// its answer settles, and the result is the `cf-aig-spend-remaining` value (nil when no
    /// rule applies). Gateways without rules cost nothing here: the body is not read.
    func checkSpend(_ call: inout ProviderCall, gateway: GatewaySettings, directives: RequestDirectives) async throws(GatewayError)
        -> String?
    {
        let limiter = features.spendLimiter
        guard limiter.hasRules(gateway) else { return nil }
        let model =
            call.provider.routing.model(fromPath: call.path)
            ?? UsageExtractor.model(inRequestBody: Array(call.body.readableBytesView)) ?? ""
        let request = SpendLimiter.Request(
            provider: call.provider.slug.rawValue, model: model, metadata: directives.metadata,
            customCost: directives.customCost)
        switch await limiter.check(request, gateway: gateway) {
        case .notLimited:
            return nil
        case .refused(let error):
            throw error
        case .allowed(let charge, let remaining):
            call.spend = charge
            return SpendLimiter.remainingHeader(remaining)
        }
    }

    static let spendRemainingHeader = HTTPField.Name(GatewayHeader.spendRemaining)!
    static let authorizationHeader = HTTPField.Name(GatewayHeader.authorization)!
    static let cacheStatusHeader = HTTPField.Name(GatewayHeader.cacheStatus)!
}
