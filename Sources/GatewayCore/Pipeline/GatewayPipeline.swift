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

    /// A pipeline over the given parts.
    public init(
        configuration: GatewayConfiguration, providers: ProviderTable, gateways: GatewayDirectory,
        upstream: UpstreamClient, logs: any LogSink, metrics: GatewayMetrics
    ) {
        self.configuration = configuration
        self.providers = providers
        self.gateways = gateways
        self.upstream = upstream
        self.logs = logs
        self.metrics = metrics
    }

    /// Answers one request to `/v1/{account}/{gateway}/{provider}/...`.
    public func handle(_ request: GatewayRequest) async -> GatewayResponse {
        let started = ContinuousClock.now
        let createdAt = Date()

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
        let log = gateway.collectLogs && directives.collectLog != false ? PendingLog(draft, sink: logs) : nil

        // 4. The provider, and the upstream URL its path rule gives.
        let provider: ProviderDescriptor
        let url: String
        do {
            provider = try providers.provider(route.provider)
            url = try upstreamURL(provider: provider, route: route, query: request.query)
        } catch {
            return errorResponse(error, log: log, started: started, provider: route.provider, eventID: directives.eventID)
        }

        // 5. The body, collected up to the cap (it is replayed on retries and logged).
        let body: ByteBuffer
        switch await request.collectBody(configuration.maxRequestBodyBytes) {
        case .complete(let buffer):
            body = buffer
        case .tooLarge:
            return errorResponse(
                GatewayError.bodyTooLarge(limit: configuration.maxRequestBodyBytes), log: log, started: started,
                provider: route.provider, eventID: directives.eventID)
        case .failed(let reason):
            return errorResponse(
                GatewayError.unreadableBody(reason),
                log: log, started: started, provider: route.provider, eventID: directives.eventID)
        }
        log?.update { record in
            record.requestBody = body
            record.usageParser = provider.usage
            record.routing = provider.routing
        }

        // 6. Send it upstream, waiting at most the request timeout for the response head.
        let timeoutMs = directives.requestTimeoutMs ?? configuration.requestTimeoutMs
        let upstreamRequest = makeUpstreamRequest(request, url: url, body: body)
        let sent = ContinuousClock.now
        let response: HTTPClientResponse
        do {
            response = try await upstream.send(upstreamRequest, timeout: .milliseconds(timeoutMs))
        } catch {
            let gatewayError: GatewayError
            switch error {
            case .timedOut: gatewayError = .upstreamTimeout(provider.slug.rawValue, afterMilliseconds: timeoutMs)
            case .unreachable(let reason): gatewayError = .upstreamUnreachable(provider.slug.rawValue, reason: reason)
            case .cancelled:
                gatewayError = .clientGone
            }
            metrics.gatewayOverhead(sent - started)
            return errorResponse(gatewayError, log: log, started: started, provider: route.provider, eventID: directives.eventID)
        }
        let headReceived = ContinuousClock.now
        metrics.upstreamLatency(headReceived - sent, provider: provider.slug.rawValue)

        // 7. Relay the answer as it arrives, with the gateway's headers added.
        let status = Int(response.status.code)
        log?.update { record in
            record.statusCode = status
            record.success = (200..<300).contains(status)
            record.responseContentType = response.headers.first(name: "content-type")
        }
        var headers = ForwardedHeaders.toClient(response.headers)
        addGatewayHeaders(to: &headers, logID: log?.id, eventID: directives.eventID)
        metrics.requestFinished(provider: provider.slug.rawValue, status: status)
        let contentLength = response.headers.first(name: "content-length").flatMap(Int.init)
        let relay = UpstreamRelay(
            body: response.body, contentLength: contentLength, log: log, captureCap: configuration.logBodyCapBytes,
            started: started)
        metrics.gatewayOverhead((sent - started) + (ContinuousClock.now - headReceived))
        return GatewayResponse(status: status, headers: headers, body: .relay(relay))
    }

    // MARK: - Stages

    private func upstreamURL(provider: ProviderDescriptor, route: GatewayRoute, query: String?) throws -> String {
        let base = try provider.routing.upstreamURL(base: provider.baseURL, path: route.providerPath)
        guard let query, !query.isEmpty else { return base }
        return base + "?" + query
    }

    private func makeUpstreamRequest(_ request: GatewayRequest, url: String, body: ByteBuffer) -> HTTPClientRequest {
        var upstreamRequest = HTTPClientRequest(url: url)
        upstreamRequest.method = .init(rawValue: request.method.rawValue)
        upstreamRequest.headers = ForwardedHeaders.toUpstream(request.headers)
        if body.readableBytes > 0 || request.method == .post || request.method == .put || request.method == .patch {
            upstreamRequest.body = .bytes(body)
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
}
