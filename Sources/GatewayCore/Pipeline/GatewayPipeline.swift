import AIGateway
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
    let features: GatewayFeatures
    let retryClock: any RetryClock

    /// A pipeline over the given parts. `retryClock` waits between attempts (tests inject
    /// one that records the waits instead of sleeping).
    public init(
        configuration: GatewayConfiguration, providers: ProviderTable, gateways: GatewayDirectory,
        upstream: UpstreamClient, logs: any LogSink, metrics: GatewayMetrics, features: GatewayFeatures,
        retryClock: any RetryClock = SystemRetryClock()
    ) {
        self.features = features
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
        let response = tracesProcess ? await handleTraced(request) : await handleRequest(request)
        guard let error = response.gatewayError,
            (try? GatewayRoute(path: request.path, servedAccount: configuration.accountID))?.provider == CompatEndpoint.slug
        else { return response }
        // On /compat the gateway's errors take the shape OpenAI's SDKs read.
        var shaped = response
        shaped.body = .buffer(ByteBuffer(bytes: error.openAIBody))
        return shaped
    }

    /// The pipeline itself, stage by stage.
    func handleRequest(_ request: GatewayRequest) async -> GatewayResponse {
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

        // 2. Draft the request's log record; it is started (below) unless logging is off for
        //    the gateway or the request, and once started it is finished whatever happens next.
        var draft = logDraft(gateway: gateway, provider: route.provider, path: route.providerPath, createdAt: createdAt)
        draft.requestContentType = request.headers[.contentType]
        draft.method = request.method.rawValue

        // 3. Authentication and the rate limit: refused requests are logged, and reach no provider.
        if let refusal = await refusal(request, gateway: gateway) {
            let log = startLog(draft, when: gateway.collectLogs)
            return errorResponse(refusal, log: log, started: started, provider: route.provider)
        }

        // 4. What the request asks of the gateway (cf-aig-* headers). A request whose headers
        //    cannot be read is logged with its error.
        let directives: RequestDirectives
        do {
            directives = try RequestDirectives(headers: request.headers)
        } catch {
            let log = startLog(draft, when: gateway.collectLogs)
            return errorResponse(error, log: log, started: started, provider: route.provider)
        }
        draft.apply(directives)
        // The request's spans, when the gateway exports them (`otel`); they are sent once its
        // last log is written.
        draft.trace = requestTrace(gateway: gateway, directives: directives, headers: request.headers, start: createdAt)
        defer { draft.trace?.pipelineDone() }
        // A request whose log is not collected still gets a record when its spans are
        // exported (the writer derives the span's model, tokens and cost from it, and stores nothing).
        draft.stored = gateway.collectLogs && directives.collectLog != false
        let log = startLog(draft, when: draft.stored || draft.trace != nil)

        // 5. The body, collected up to the cap (it is replayed on retries and logged), then
        //    screened: DLP (flag, block, redact) and guardrails on the prompt.
        var body: ByteBuffer
        let screening: AnswerScreening?
        do {
            body = try await collectBody(request)
            (body, screening) = try await stage("aigw.screen") {
                try await screenRequest(body, gateway: gateway, log: log, trace: draft.trace)
            }
        } catch {
            return errorResponse(error, log: log, started: started, provider: route.provider, eventID: directives.eventID)
        }

        // 6. What to call: the provider the URL names or, on `/compat`, the one the body's
        //    model names, in that provider's own format; with the gateway's stored key when
        //    the request brings none. `model: "dynamic/{name}"` walks the gateway's route of
        //    that name instead (each model it calls is checked and logged on its own).
        let timeoutMs = directives.requestTimeoutMs ?? configuration.requestTimeoutMs
        if route.provider == CompatEndpoint.slug, let selection = dynamicRoute(in: body) {
            guard let live = features.routes.route(gatewayID: gateway.id, name: selection.name) else {
                return errorResponse(
                    GatewayError.unknownRoute(selection.name, gatewayID: gateway.id), log: log, started: started,
                    provider: route.provider, eventID: directives.eventID)
            }
            return await walk(
                RouteWalk(
                    route: live, endpoint: route.providerPath, body: selection.body, headers: request.headers, gateway: gateway,
                    directives: directives, draft: draft, log: log, logged: log != nil, timeoutMs: timeoutMs, started: started,
                    screening: screening))
        }
        var call: ProviderCall
        do {
            if route.provider == CompatEndpoint.slug {
                let target = try CompatEndpoint.target(path: route.providerPath, body: body, providers: providers)
                call = ProviderCall(compat: target, method: request.method, headers: request.headers, timeoutMs: timeoutMs)
            } else {
                call = ProviderCall(
                    provider: try providers.provider(route.provider), path: route.providerPath, query: request.query,
                    method: request.method, headers: request.headers, body: body, timeoutMs: timeoutMs)
            }
            call = try withStoredKey(call, gateway: gateway, alias: directives.byokAlias)
            call.screening = screening
        } catch {
            return errorResponse(error, log: log, started: started, provider: route.provider, eventID: directives.eventID)
        }

        // 7. The cache: a hit, or an identical request already in flight, is answered
        //    without the provider; a miss leads, recording its answer for the others.
        let cacheDecision = await stage("aigw.cache") { await consultCache(call, gateway: gateway, directives: directives, log: log) }
        if case .answered(let answer) = cacheDecision { return answer }
        if case .miss(let recorder) = cacheDecision { call.recorder = recorder }

        // 8. Spend limits: over a budget, the request reaches no provider (a cache hit, above,
        //    costs nothing and is served).
        let spendRemaining: String?
        do {
            spendRemaining = try await stage("aigw.spend") { try await checkSpend(&call, gateway: gateway, directives: directives) }
        } catch {
            call.recorder?.fail()
            return errorResponse(error, log: log, started: started, provider: route.provider, eventID: directives.eventID)
        }

        // 9. Send it upstream, retrying as the request or the gateway asks, and relay the answer.
        let policy = RetryPolicy(sources: [directives.retrySettings, gateway.retrySettings])
        var answer: GatewayResponse
        switch await send(call, policy: policy, log: log, draft: draft, eventID: directives.eventID) {
        case .answered(let response): answer = response
        case .failed(let error, let attemptLog):
            answer = errorResponse(error, log: attemptLog, started: started, provider: route.provider, eventID: directives.eventID)
        }
        answer.headers[Self.spendRemainingHeader] = spendRemaining
        if case .miss = cacheDecision {
            answer.headers[Self.cacheStatusHeader] = "MISS"
            // Only a 2xx answer is recorded (by its relay); anything else frees the followers.
            if !(200..<300).contains(answer.status) { call.recorder?.fail() }
        }
        return answer
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
        let body: ByteBuffer
        let screening: AnswerScreening?
        var trace: RequestTrace?
        defer { trace?.pipelineDone() }
        do {
            gateway = try gateways.resolve(gatewayID)
            if let refusal = await refusal(request, gateway: gateway) { throw refusal }
            directives = try RequestDirectives(headers: request.headers)
            trace = requestTrace(gateway: gateway, directives: directives, headers: request.headers, start: Date())
            (body, screening) = try await screenRequest(try await collectBody(request), gateway: gateway, log: nil, trace: trace)
            steps = try UniversalStep.parse(body, providers: providers)
        } catch {
            return errorResponse(error, log: nil, started: started, provider: nil)
        }
        var last: GatewayResponse?
        for (index, step) in steps.enumerated() {
            var draft = logDraft(gateway: gateway, provider: step.provider, path: step.endpoint, createdAt: Date())
            draft.step = index
            draft.requestContentType = "application/json"
            draft.apply(directives)
            draft.trace = trace
            draft.stored = gateway.collectLogs && directives.collectLog != false
            let log = startLog(draft, when: draft.stored || trace != nil)
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
            if let selection = step.dynamicRoute {
                var response: GatewayResponse
                if let live = features.routes.route(gatewayID: gateway.id, name: selection.name) {
                    response = await walk(
                        RouteWalk(
                            route: live, endpoint: step.endpoint, body: selection.query, headers: headers, gateway: gateway,
                            directives: directives, draft: draft, log: log, logged: log != nil, timeoutMs: timeoutMs,
                            started: started, screening: screening))
                } else {
                    response = errorResponse(
                        GatewayError.unknownRoute(selection.name, gatewayID: gateway.id), log: log, started: started,
                        provider: step.provider, eventID: directives.eventID)
                }
                response.headers[Self.stepHeader] = String(index)
                if (200..<300).contains(response.status) || isLast { return response }
                await discard(response)
                last = response
                continue
            }
            let attempt: Attempt
            var spendRemaining: String?
            do {
                let planned =
                    if let compat = step.compat {
                        ProviderCall(compat: compat, method: .post, headers: headers, timeoutMs: timeoutMs)
                    } else {
                        ProviderCall(
                            provider: try providers.provider(step.provider), path: step.endpoint, query: nil, method: .post,
                            headers: headers, body: step.body, timeoutMs: timeoutMs)
                    }
                var call = try withStoredKey(planned, gateway: gateway, alias: step.directives.byokAlias ?? directives.byokAlias)
                call.screening = screening
                spendRemaining = try await checkSpend(&call, gateway: gateway, directives: directives)
                attempt = await send(call, policy: policy, log: log, draft: draft, eventID: directives.eventID)
            } catch {
                attempt = .failed(error as? GatewayError ?? .concealing(error), log: log)
            }
            switch attempt {
            case .answered(var response):
                response.headers[Self.stepHeader] = String(index)
                response.headers[Self.spendRemainingHeader] = spendRemaining
                if (200..<300).contains(response.status) || isLast { return response }
                // Not taken: read the answer to its end so its log is complete, then go on.
                await discard(response)
                last = response
            case .failed(let error, let attemptLog):
                var answer = errorResponse(
                    error, log: attemptLog, started: started, provider: step.provider, eventID: directives.eventID)
                answer.headers[Self.stepHeader] = String(index)
                // A client that went away ends the request: no further step is tried for nobody.
                if isLast || error == .clientGone { return answer }
                last = answer
            }
        }
        // The parser guarantees at least one step, and the last one always returns.
        return last ?? errorResponse(GatewayError.internal("no step ran"), log: nil, started: started, provider: nil)
    }

    /// When logs are durable (``LogQueueSettings/durable``): waits until the logs of answers
    /// made so far are written. The server calls it before an answer completes.
    public func waitForDurableLogs() async {
        if configuration.logQueue.durable { await logs.waitUntilWritten() }
    }

    /// The request body, collected up to the configured cap.
    func collectBody(_ request: GatewayRequest) async throws -> ByteBuffer {
        switch await request.collectBody(configuration.maxRequestBodyBytes) {
        case .complete(let buffer): return buffer.compacted()
        case .tooLarge: throw GatewayError.bodyTooLarge(limit: configuration.maxRequestBodyBytes)
        case .failed(let reason): throw GatewayError.unreadableBody(reason)
        }
    }

    // MARK: The log and the error answer

    /// The draft of a request's log record, for a request (or Universal step) just begun.
    func logDraft(gateway: GatewaySettings, provider: String, path: String, createdAt: Date) -> LogRecord {
        var draft = LogRecord(
            id: ULID(date: createdAt).description, gatewayID: gateway.id, provider: provider, path: path,
            createdAt: createdAt, captureCap: configuration.logBodyCapBytes)
        draft.logpush = gateway.logpush && gateway.logpushPublicKey != nil
        return draft
    }

    /// The spans of a request to `gateway`, when it has exporters and this process exports.
    func requestTrace(gateway: GatewaySettings, directives: RequestDirectives, headers: HTTPFields, start: Date) -> RequestTrace? {
        guard let exporters = gateway.otel, !exporters.isEmpty, let sink = features.spans else { return nil }
        return RequestTrace(
            context: TraceContext.of(directives: directives, headers: headers), gatewayID: gateway.id, exporters: exporters,
            sink: sink, start: start)
    }

    /// Starts a log from `draft` when the request is `logged`: the one place a log begins
    /// (one per attempt). It ends in ``PendingLog/finish(_:started:)``, exactly once.
    func startLog(_ draft: LogRecord, when logged: Bool) -> PendingLog? {
        logged ? PendingLog(draft, sink: logs) : nil
    }

    /// Answers with the gateway's own error (``GatewayError/answer(body:logID:eventID:)``),
    /// finishing the log with it and counting the request. The JSON body is encoded once.
    func errorResponse(
        _ error: any Error, log: PendingLog?, started: ContinuousClock.Instant, provider: String?,
        eventID: String? = nil
    ) -> GatewayResponse {
        let gatewayError = error as? GatewayError ?? .concealing(error)
        let body = ByteBuffer(bytes: gatewayError.body)
        log?.finish(.failed(gatewayError, body: body), started: started)
        metrics.requestFinished(provider: provider ?? "none", status: gatewayError.httpStatus)
        return gatewayError.answer(body: body, logID: log?.storedID, eventID: eventID)
    }

    static let logIDHeader = HTTPField.Name(GatewayHeader.logID)!
    static let eventIDHeader = HTTPField.Name(GatewayHeader.eventID)!
    static let stepHeader = HTTPField.Name(GatewayHeader.step)!
}
