import AIGateway
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1

/// The attempt stage: one call to a provider, tried as its retry policy allows.
extension GatewayPipeline {
    /// One call to one provider as the pipeline planned it (the provider URL route's, a
    /// `/compat` translation's, or a Universal step's): where it goes, what it sends, and what
    /// becomes of its answer. `send` makes it an ``UpstreamRequest`` for the HTTP client.
    struct ProviderCall {
        var provider: ProviderDescriptor
        var path: String
        var query: String?
        var method: HTTPRequest.Method
        var headers: HTTPFields
        var body: ByteBuffer
        var timeoutMs: Int
        /// Turns a 2xx answer into another format on its way to the client (`/compat`).
        var translator: (any ResponseTranslator)? = nil
        /// Records a 2xx answer for the cache and for identical requests waiting on this one.
        var recorder: InFlightAnswer? = nil
        /// The answer's cost, owed to the spend rules that applied (``checkSpend(_:gateway:directives:)``).
        var spend: SpendCharge? = nil
        /// What the answer must pass before it reaches the client (``screenRequest(_:gateway:log:)``).
        var screening: AnswerScreening? = nil
    }

    /// What one call to a provider came to: an answer being relayed (of any status), or an
    /// error of the gateway's own, with the log of the attempt it ended, which the error
    /// answer finishes.
    enum Attempt {
        case answered(GatewayResponse)
        case failed(GatewayError, log: PendingLog?)
    }

    /// Sends one call with its retry policy: attempt after attempt until one is answered
    /// with a status that is not retried (anything but 429 and 5xx), or fails in a way that
    /// is not (the client went away), or the attempts run out. The body is replayed on
    /// each attempt. Every attempt has its own log (the first one's is `log`).
    func send(_ call: ProviderCall, policy: RetryPolicy, log: PendingLog?, draft: LogRecord, eventID: String?) async
        -> Attempt
    {
        var log = log
        for attempt in 1...max(1, policy.maxAttempts) {
            let attemptStarted = ContinuousClock.now
            if attempt > 1 {
                var retry = draft
                retry.createdAt = Date()
                retry.id = ULID(date: retry.createdAt).description
                log = startLog(retry, when: log != nil)
            }
            let outcome = await forward(call, log: log, eventID: eventID, started: attemptStarted, trace: draft.trace)
            let isLast = attempt == policy.maxAttempts
            let note = "attempt \(attempt) of \(policy.maxAttempts)"
            var retryAfterMs: Int?
            switch outcome {
            case .answered(let response) where !isLast && RetryPolicy.retries(status: response.status):
                retryAfterMs = RetryPolicy.retryAfterMs(response.headers[.retryAfter])
                log?.update { $0.error = "\(note) answered HTTP \(response.status); retried" }
                await discard(response)
            case .failed(let error, _) where !isLast && error != .clientGone:
                var noted = error
                noted.message += " (\(note); retried)"
                log?.finish(.failed(noted, body: ByteBuffer(bytes: noted.body)), started: attemptStarted)
                metrics.requestFinished(provider: call.provider.slug.rawValue, status: noted.httpStatus)
            default:
                return outcome
            }
            do {
                try await retryClock.sleep(for: policy.wait(afterAttempt: attempt, retryAfterMs: retryAfterMs))
            } catch {
                return .failed(.clientGone, log: log)
            }
        }
        // The loop returns on its last attempt.
        return .failed(.internal("no attempt ran"), log: log)
    }

    /// Reads an answer that will not be relayed to its end, so that its log is complete.
    func discard(_ response: GatewayResponse) async {
        if case .stream(let stream) = response.body { try? await stream.relay { _ in } }
    }

    /// Sends one request upstream, waiting at most its timeout for the response head, and
    /// sets up the relay of the answer with the gateway's headers added.
    func forward(
        _ call: ProviderCall, log: PendingLog?, eventID: String?, started: ContinuousClock.Instant, trace: RequestTrace? = nil
    ) async -> Attempt {
        let provider = call.provider
        var upstreamRequest: UpstreamRequest
        do {
            upstreamRequest = try makeUpstreamRequest(call)
        } catch {
            return .failed(error as? GatewayError ?? .upstreamUnreachable(provider.slug.rawValue, reason: "\(error)"), log: log)
        }
        // The attempt's span: the provider's own spans join the trace under it.
        let spanID = trace?.newSpanID()
        if let trace, let spanID {
            upstreamRequest.headers.replaceOrAdd(name: "traceparent", value: trace.context.traceparent(spanID: spanID))
        }
        log?.update { record in
            record.spanID = spanID
            // On /compat the log shows the provider really called, and what it was sent.
            record.provider = provider.slug.rawValue
            record.path = call.path
            record.requestBody = call.body
            record.usageParser = provider.usage
            record.routing = provider.routing
        }
        let sent = ContinuousClock.now
        let response: UpstreamResponse
        do {
            response = try await sendUpstream(
                upstreamRequest, timeout: .milliseconds(call.timeoutMs), provider: provider.slug.rawValue,
                joinProcessTrace: trace == nil)
        } catch {
            metrics.gatewayOverhead(sent - started)
            switch error {
            case .timedOut: return .failed(.upstreamTimeout(provider.slug.rawValue, afterMilliseconds: call.timeoutMs), log: log)
            case .unreachable(let reason): return .failed(.upstreamUnreachable(provider.slug.rawValue, reason: reason), log: log)
            case .cancelled: return .failed(.clientGone, log: log)
            }
        }
        let headReceived = ContinuousClock.now
        metrics.upstreamLatency(headReceived - sent, provider: provider.slug.rawValue)

        let status = response.status
        log?.update { record in
            record.statusCode = status
            record.success = (200..<300).contains(status)
            record.responseContentType = response.headers.first(name: "content-type")
        }
        var headers = ForwardedHeaders.toClient(response.headers)
        metrics.requestFinished(provider: provider.slug.rawValue, status: status)
        var contentLength = response.headers.first(name: "content-length").flatMap(Int.init)
        // Only a successful answer is translated; a provider's error passes through as it is.
        let translator = (200..<300).contains(status) ? call.translator : nil
        if let translator {
            contentLength = nil
            headers[.contentLength] = nil
            headers[.contentType] = translator.contentType
        }
        // A 2xx answer (never retried) is recorded for the cache as the client gets it.
        let recorder = (200..<300).contains(status) ? call.recorder : nil
        if let recorder {
            var kept = headers
            kept[.contentLength] = nil
            recorder.begin(status: status, headers: kept)
        }
        headers.addGatewayIDs(logID: log?.storedID, eventID: eventID)
        // Guardrails and DLP on the answer: read whole and judged first when a check needs all
        // of it, or (DLP on a stream) screened as it passes.
        var body = response.body
        var dlpStream: DLPStreamFilter?
        if let screening = call.screening, (200..<300).contains(status) {
            let contentType = response.headers.first(name: "content-type")
            let isStream = contentType?.lowercased().contains("event-stream") ?? false
            if screening.checksAnswerGuardrails || (screening.checksAnswerDLP && !isStream) {
                do {
                    let screened = try await screenAnswer(body, contentType: contentType, screening: screening, log: log)
                    body = screened.body
                    if translator == nil {
                        contentLength = body.whole?.readableBytes
                        headers[.contentLength] = contentLength.map(String.init)
                    }
                    headers[Self.dlpHeader] = screened.dlpHeader
                } catch {
                    recorder?.fail()
                    return .answered(errorResponse(error, log: log, started: started, provider: provider.slug.rawValue, eventID: eventID))
                }
            } else {
                if screening.checksAnswerDLP, let scanner = screening.dlp { dlpStream = DLPStreamFilter(scanner: scanner) }
                headers[Self.dlpHeader] = screening.requestFindings.map { DLPScanner.header($0, check: "REQUEST") }
            }
        }
        var spend = call.spend
        spend?.contentType = response.headers.first(name: "content-type")
        spend?.usageParser = provider.usage
        let relay = ProviderAnswerRelay(
            body: body, contentLength: contentLength, log: log, captureCap: configuration.logBodyCapBytes,
            started: started, translator: translator, recorder: recorder, spend: spend, dlp: dlpStream)
        metrics.gatewayOverhead((sent - started) + (ContinuousClock.now - headReceived))
        return .answered(GatewayResponse(status: status, headers: headers, body: .stream(relay)))
    }

    /// The request a call becomes. Whatever route planned the call, its path and query are
    /// held to ``ProviderPathRule`` here, the last stage before the wire (the routes refuse
    /// such input earlier, each with its own error; the encoder refuses forbidden bytes).
    private func makeUpstreamRequest(_ call: ProviderCall) throws -> UpstreamRequest {
        if let problem = ProviderPathRule.problem(inPath: call.path) ?? call.query.flatMap(ProviderPathRule.problem(inQuery:)) {
            throw GatewayError.badPath("the request cannot be sent to '\(call.provider.slug.rawValue)': \(problem)")
        }
        var url = try call.provider.routing.upstreamURL(base: call.provider.baseURL, path: call.path)
        if let query = call.query, !query.isEmpty { url += "?" + query }
        let sendsBody = call.body.readableBytes > 0 || call.method == .post || call.method == .put || call.method == .patch
        var headers = ForwardedHeaders.toUpstream(call.headers)
        for (name, value) in call.provider.extraHeaders {
            headers.replaceOrAdd(name: name, value: value)
        }
        return UpstreamRequest(
            url: try UpstreamURL(url), method: HTTPMethod(rawValue: call.method.rawValue), headers: headers,
            body: sendsBody ? call.body : nil)
    }
}

extension GatewayPipeline.ProviderCall {
    /// The call a `/compat` request (or Universal step) was planned into.
    init(compat target: CompatEndpoint.Target, method: HTTPRequest.Method, headers: HTTPFields, timeoutMs: Int) {
        self.init(
            provider: target.provider, path: target.path, query: target.query, method: method,
            headers: target.headers(from: headers), body: target.body, timeoutMs: timeoutMs, translator: target.translator)
    }
}
