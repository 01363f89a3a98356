import AIGateway
import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore

/// The request pipeline: one request through a gateway, from URL to relayed answer and
/// log, read top to bottom in ``handle(_:)``. Each stage is a named step; the expensive
/// work (parsing bodies for model and tokens, writing the log) happens later, in the log
/// writer, off the request path.
public struct GatewayPipeline: Sendable {
    public let configuration: GatewayConfiguration
    public let providers: ProviderTable
    public let gateways: GatewayDirectory
    let upstream: UpstreamClient
    let logs: any LogSink
    let metrics: GatewayMetrics
    let retryClock: any RetryClock

    /// A pipeline over the given parts. `retryClock` waits between attempts (tests inject
    /// one that records the waits instead of sleeping).
    public init(
        configuration: GatewayConfiguration, providers: ProviderTable, gateways: GatewayDirectory,
        upstream: UpstreamClient, logs: any LogSink, metrics: GatewayMetrics,
        retryClock: any RetryClock = SystemRetryClock()
    ) {
        self.configuration = configuration
        self.providers = providers
        self.gateways = gateways
        self.upstream = upstream
        self.logs = logs
        self.metrics = metrics
        self.retryClock = retryClock
    }

    /// Answers one request to `/v1/{account}/{gateway}/{provider}/...`.
    public func handle(_ request: GatewayRequest) async -> GatewayResponse {
        let started = ContinuousClock.now
        let createdAt = Date()

        // 0. `POST /v1/{account}/{gateway}` is the Universal endpoint: steps in the body.
        if request.method == .post, let gatewayID = GatewayRoute.universalGateway(path: request.path, servedAccount: configuration.accountID) {
            return await handleUniversal(request, gatewayID: gatewayID, started: started)
        }

        // 1. Which account, gateway and provider the URL names. A request that names no
        //    gateway of ours is not logged: there is no gateway to log it under.
        let route: GatewayRoute
        let gateway: GatewaySettings
        do {
            route = try GatewayRoute(path: request.path, servedAccount: configuration.accountID)
            gateway = try gateways.resolve(route.gatewayID)
        } catch {
            return errorResponse(error, log: nil, started: started, provider: nil)
        }

        // 2. Start the request's log record (unless logging is off for the gateway or,
        //    below, the request); once started it is submitted whatever happens next.
        var draft = LogRecord(
            id: ULID(date: createdAt).description, gatewayID: gateway.id, provider: route.provider,
            path: route.providerPath, createdAt: createdAt, captureCap: configuration.logBodyCapBytes)
        draft.requestContentType = request.headers[.contentType]

        // 3. What the request asks of the gateway (cf-aig-* headers). A request whose headers
        //    cannot be read is logged with its error.
        let directives: RequestDirectives
        do {
            directives = try RequestDirectives(headers: request.headers)
        } catch {
            let log = gateway.collectLogs ? PendingLog(draft, sink: logs) : nil
            return errorResponse(error, log: log, started: started, provider: route.provider)
        }
        draft.metadata = directives.metadata
        draft.eventID = directives.eventID
        draft.storePayload = directives.collectLogPayload != false
        draft.customCost = directives.customCost
        let log = gateway.collectLogs && directives.collectLog != false ? PendingLog(draft, sink: logs) : nil

        // 4. The body, collected up to the cap (it is replayed on retries and logged).
        let body: ByteBuffer
        do {
            body = try await collectBody(request)
        } catch {
            return errorResponse(error, log: log, started: started, provider: route.provider, eventID: directives.eventID)
        }

        // 5. What to call: the provider the URL names or, on `/compat`, the one the body's
        //    model names, in that provider's own format.
        let timeoutMs = directives.requestTimeoutMs ?? configuration.requestTimeoutMs
        let call: Upstream
        do {
            if route.provider == CompatEndpoint.slug {
                let target = try CompatEndpoint.target(path: route.providerPath, body: body, providers: providers)
                call = Upstream(compat: target, method: request.method, headers: request.headers, timeoutMs: timeoutMs)
            } else {
                call = Upstream(
                    provider: try providers.provider(route.provider), path: route.providerPath, query: request.query,
                    method: request.method, headers: request.headers, body: body, timeoutMs: timeoutMs)
            }
        } catch {
            return errorResponse(error, log: log, started: started, provider: route.provider, eventID: directives.eventID)
        }

        // 6. Send it upstream, retrying as the request or the gateway asks, and relay the answer.
        let policy = RetryPolicy(sources: [directives.retrySettings, gateway.retrySettings])
        let (attempt, lastLog) = await send(call, policy: policy, log: log, draft: draft, eventID: directives.eventID)
        switch attempt {
        case .answered(let response): return response
        case .failed(let error):
            return errorResponse(error, log: lastLog, started: started, provider: route.provider, eventID: directives.eventID)
        }
    }

    /// Answers a Universal request, `POST /v1/{account}/{gateway}` (SPEC section 3): the steps
    /// in order, the next one taken after a network error, a timeout to the response head,
    /// or a non-2xx status. Each attempt is logged with its `step`; the answer says which
    /// step it came from in `cf-aig-step`. A streamed answer is committed once its head is
    /// taken: the decision is made before the first byte goes to the client.
    func handleUniversal(_ request: GatewayRequest, gatewayID: String, started: ContinuousClock.Instant) async
        -> GatewayResponse
    {
        let gateway: GatewaySettings
        let directives: RequestDirectives
        let steps: [UniversalStep]
        do {
            gateway = try gateways.resolve(gatewayID)
            directives = try RequestDirectives(headers: request.headers)
            steps = try UniversalStep.parse(try await collectBody(request), providers: providers)
        } catch {
            return errorResponse(error, log: nil, started: started, provider: nil)
        }
        var last: GatewayResponse?
        for (index, step) in steps.enumerated() {
            var draft = LogRecord(
                id: ULID(date: Date()).description, gatewayID: gateway.id, provider: step.provider, path: step.endpoint,
                createdAt: Date(), captureCap: configuration.logBodyCapBytes)
            draft.step = index
            draft.requestContentType = "application/json"
            draft.metadata = directives.metadata
            draft.eventID = directives.eventID
            draft.storePayload = directives.collectLogPayload != false
            draft.customCost = directives.customCost
            let log = gateway.collectLogs && directives.collectLog != false ? PendingLog(draft, sink: logs) : nil
            var headers = request.headers
            headers[.contentType] = "application/json"
            for (name, value) in step.headers {
                if let field = HTTPField.Name(name) { headers[field] = value }
            }
            let isLast = index == steps.count - 1
            // Precedence, highest first: the step's config, its cf-aig-* headers, the
            // request's cf-aig-* headers, the gateway's settings.
            let policy = RetryPolicy(sources: [
                step.configRetrySettings, step.directives.retrySettings, directives.retrySettings, gateway.retrySettings,
            ])
            let timeoutMs =
                step.requestTimeoutMs ?? step.directives.requestTimeoutMs ?? directives.requestTimeoutMs
                ?? configuration.requestTimeoutMs
            let attempt: Attempt
            var lastLog = log
            do {
                let call =
                    if let compat = step.compat {
                        Upstream(compat: compat, method: .post, headers: headers, timeoutMs: timeoutMs)
                    } else {
                        Upstream(
                            provider: try providers.provider(step.provider), path: step.endpoint, query: nil, method: .post,
                            headers: headers, body: step.body, timeoutMs: timeoutMs)
                    }
                (attempt, lastLog) = await send(call, policy: policy, log: log, draft: draft, eventID: directives.eventID)
            } catch {
                attempt = .failed(error as? GatewayError ?? .internal("\(error)"))
            }
            switch attempt {
            case .answered(var response):
                response.headers[Self.stepHeader] = String(index)
                if (200..<300).contains(response.status) || isLast { return response }
                // Not taken: read the answer to its end so its log is complete, then go on.
                await discard(response)
                last = response
            case .failed(let error):
                var answer = errorResponse(
                    error, log: lastLog, started: started, provider: step.provider, eventID: directives.eventID)
                answer.headers[Self.stepHeader] = String(index)
                // A client that went away ends the request: no further step is tried for nobody.
                if isLast || error == .clientGone { return answer }
                last = answer
            }
        }
        // The parser guarantees at least one step, and the last one always returns.
        return last ?? errorResponse(GatewayError.internal("no step ran"), log: nil, started: started, provider: nil)
    }

    // MARK: - Stages

    /// One call to one provider.
    struct Upstream {
        var provider: ProviderDescriptor
        var path: String
        var query: String?
        var method: HTTPRequest.Method
        var headers: HTTPFields
        var body: ByteBuffer
        var timeoutMs: Int
        /// Turns a 2xx answer into another format on its way to the client (`/compat`).
        var translator: (any ResponseTranslator)? = nil
    }

    /// What one call to a provider came to: an answer being relayed (of any status), or an
    /// error of the gateway's own.
    enum Attempt {
        case answered(GatewayResponse)
        case failed(GatewayError)
    }

    /// Sends one call with its retry policy: attempt after attempt until one is answered
    /// with a status that is not retried (anything but 429 and 5xx), or fails in a way that
    /// is not (the client went away), or the attempts run out. The body is replayed on
    /// each attempt. Every attempt has its own log (the first one's is `log`); the second
    /// value is the last attempt's, which an error answer completes.
    private func send(_ call: Upstream, policy: RetryPolicy, log: PendingLog?, draft: LogRecord, eventID: String?) async
        -> (Attempt, PendingLog?)
    {
        var log = log
        for attempt in 1...max(1, policy.maxAttempts) {
            let attemptStarted = ContinuousClock.now
            if attempt > 1, log != nil {
                var retry = draft
                retry.createdAt = Date()
                retry.id = ULID(date: retry.createdAt).description
                log = PendingLog(retry, sink: logs)
            }
            let outcome = await forward(call, log: log, eventID: eventID, started: attemptStarted)
            let isLast = attempt == policy.maxAttempts
            let note = "attempt \(attempt) of \(policy.maxAttempts)"
            var retryAfterMs: Int?
            switch outcome {
            case .answered(let response) where !isLast && RetryPolicy.retries(status: response.status):
                retryAfterMs = RetryPolicy.retryAfterMs(response.headers[.retryAfter])
                log?.update { $0.error = "\(note) answered HTTP \(response.status); retried" }
                await discard(response)
            case .failed(let error) where !isLast && error != .clientGone:
                var noted = error
                noted.message += " (\(note); retried)"
                _ = errorResponse(noted, log: log, started: attemptStarted, provider: call.provider.slug.rawValue, eventID: eventID)
            default:
                return (outcome, log)
            }
            do {
                try await retryClock.sleep(for: policy.wait(afterAttempt: attempt, retryAfterMs: retryAfterMs))
            } catch {
                return (.failed(.clientGone), log)
            }
        }
        // The loop returns on its last attempt.
        return (.failed(.internal("no attempt ran")), log)
    }

    /// Reads an answer that will not be relayed to its end, so that its log is complete.
    private func discard(_ response: GatewayResponse) async {
        if case .relay(let relay) = response.body { try? await relay.relay { _ in } }
    }

    /// Sends one request upstream, waiting at most its timeout for the response head, and
    /// sets up the relay of the answer with the gateway's headers added.
    private func forward(_ call: Upstream, log: PendingLog?, eventID: String?, started: ContinuousClock.Instant) async
        -> Attempt
    {
        let provider = call.provider
        let url: String
        do {
            url = try upstreamURL(provider: provider, path: call.path, query: call.query)
        } catch {
            return .failed(error as? GatewayError ?? .internal("\(error)"))
        }
        log?.update { record in
            // On /compat the log shows the provider really called, and what it was sent.
            record.provider = provider.slug.rawValue
            record.path = call.path
            record.requestBody = call.body
            record.usageParser = provider.usage
            record.routing = provider.routing
        }
        let upstreamRequest = makeUpstreamRequest(call, url: url)
        let sent = ContinuousClock.now
        let response: HTTPClientResponse
        do {
            response = try await upstream.send(upstreamRequest, timeout: .milliseconds(call.timeoutMs))
        } catch {
            metrics.gatewayOverhead(sent - started)
            switch error {
            case .timedOut: return .failed(.upstreamTimeout(provider.slug.rawValue, afterMilliseconds: call.timeoutMs))
            case .unreachable(let reason): return .failed(.upstreamUnreachable(provider.slug.rawValue, reason: reason))
            case .cancelled: return .failed(.clientGone)
            }
        }
        let headReceived = ContinuousClock.now
        metrics.upstreamLatency(headReceived - sent, provider: provider.slug.rawValue)

        let status = Int(response.status.code)
        log?.update { record in
            record.statusCode = status
            record.success = (200..<300).contains(status)
            record.responseContentType = response.headers.first(name: "content-type")
        }
        var headers = ForwardedHeaders.toClient(response.headers)
        addGatewayHeaders(to: &headers, logID: log?.id, eventID: eventID)
        metrics.requestFinished(provider: provider.slug.rawValue, status: status)
        var contentLength = response.headers.first(name: "content-length").flatMap(Int.init)
        // Only a successful answer is translated; a provider's error passes through as it is.
        let translator = (200..<300).contains(status) ? call.translator : nil
        if let translator {
            contentLength = nil
            headers[.contentLength] = nil
            headers[.contentType] = translator.contentType
        }
        let relay = UpstreamRelay(
            body: response.body, contentLength: contentLength, log: log, captureCap: configuration.logBodyCapBytes,
            started: started, translator: translator)
        metrics.gatewayOverhead((sent - started) + (ContinuousClock.now - headReceived))
        return .answered(GatewayResponse(status: status, headers: headers, body: .relay(relay)))
    }

    /// The request body, collected up to the configured cap.
    private func collectBody(_ request: GatewayRequest) async throws -> ByteBuffer {
        switch await request.collectBody(configuration.maxRequestBodyBytes) {
        case .complete(let buffer): return buffer
        case .tooLarge: throw GatewayError.bodyTooLarge(limit: configuration.maxRequestBodyBytes)
        case .failed(let reason): throw GatewayError.unreadableBody(reason)
        }
    }

    private func upstreamURL(provider: ProviderDescriptor, path: String, query: String?) throws -> String {
        let base = try provider.routing.upstreamURL(base: provider.baseURL, path: path)
        guard let query, !query.isEmpty else { return base }
        return base + "?" + query
    }

    private func makeUpstreamRequest(_ call: Upstream, url: String) -> HTTPClientRequest {
        var upstreamRequest = HTTPClientRequest(url: url)
        upstreamRequest.method = .init(rawValue: call.method.rawValue)
        upstreamRequest.headers = ForwardedHeaders.toUpstream(call.headers)
        if call.body.readableBytes > 0 || call.method == .post || call.method == .put || call.method == .patch {
            upstreamRequest.body = .bytes(call.body)
        }
        return upstreamRequest
    }

    private func addGatewayHeaders(to headers: inout HTTPFields, logID: String?, eventID: String?) {
        if let logID { headers[Self.logIDHeader] = logID }
        if let eventID { headers[Self.eventIDHeader] = eventID }
    }

    /// Answers with the gateway's own error body, completing the log when there is one.
    private func errorResponse(
        _ error: any Error, log: PendingLog?, started: ContinuousClock.Instant, provider: String?,
        eventID: String? = nil
    ) -> GatewayResponse {
        let gatewayError = error as? GatewayError ?? .internal("unexpected error: \(error)")
        let body = ByteBuffer(bytes: gatewayError.body)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        for (name, value) in gatewayError.headers {
            if let name = HTTPField.Name(name) { headers[name] = value }
        }
        addGatewayHeaders(to: &headers, logID: log?.id, eventID: eventID)
        let elapsed = ContinuousClock.now - started
        log?.submit { record in
            record.statusCode = gatewayError.httpStatus
            record.success = false
            record.error = gatewayError.message
            record.responseContentType = "application/json"
            record.response = BodyCapture(cap: configuration.logBodyCapBytes, body: body)
            record.durationMs = elapsed.wholeMilliseconds
        }
        metrics.requestFinished(provider: provider ?? "none", status: gatewayError.httpStatus)
        return GatewayResponse(status: gatewayError.httpStatus, headers: headers, body: .buffer(body))
    }

    private static let logIDHeader = HTTPField.Name(GatewayHeader.logID)!
    private static let eventIDHeader = HTTPField.Name(GatewayHeader.eventID)!
    private static let stepHeader = HTTPField.Name(GatewayHeader.step)!
}

extension GatewayPipeline.Upstream {
    /// The call a `/compat` request (or Universal step) was planned into.
    init(compat target: CompatEndpoint.Target, method: HTTPRequest.Method, headers: HTTPFields, timeoutMs: Int) {
        self.init(
            provider: target.provider, path: target.path, query: target.query, method: method,
            headers: target.headers(from: headers), body: target.body, timeoutMs: timeoutMs, translator: target.translator)
    }
}
