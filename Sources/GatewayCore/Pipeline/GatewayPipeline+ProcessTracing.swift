import HTTPTypes
import Instrumentation
import NIOHTTP1
import ServiceContextModule
import Tracing

/// The process's own spans (`tracing` in the configuration file), for operators: one server
/// span per request and one per pipeline stage, through swift-distributed-tracing (the
/// process's tracer is swift-otel's, bootstrapped by `aigw serve`). With `tracing` unset (the
/// default) none of this runs: each entry point tests one flag.
extension GatewayPipeline {
    /// Whether the process traces itself.
    var tracesProcess: Bool { configuration.tracing != nil }

    /// Answers a request inside a server span that joins the caller's W3C trace, when the
    /// process traces itself.
    func handleTraced(_ request: GatewayRequest) async -> GatewayResponse {
        var context = ServiceContext.current ?? .topLevel
        InstrumentationSystem.instrument.extract(request.headers, into: &context, using: HTTPFieldsExtractor())
        return await withSpan("aigw.request", context: context, ofKind: .server) { span in
            span.attributes["http.request.method"] = request.method.rawValue
            // The path only: a query may carry a provider key.
            span.attributes["url.path"] = request.path
            let response = await handleRequest(request)
            span.attributes["http.response.status_code"] = response.status
            if response.status >= 500 { span.setStatus(SpanStatus(code: .error)) }
            return response
        }
    }

    /// Runs one stage of the pipeline in a span of its own, when the process traces itself.
    func stage<Result>(_ name: String, _ body: () async throws -> Result) async rethrows -> Result {
        guard tracesProcess else { return try await body() }
        return try await withSpan(name) { _ in try await body() }
    }

    /// Sends a request upstream; when the process traces itself, inside a client span whose
    /// context goes upstream in `traceparent` (unless `joinProcessTrace` is false: the gateway
    /// places the request in its caller's trace instead).
    func sendUpstream(_ request: UpstreamRequest, timeout: Duration, provider: String, joinProcessTrace: Bool) async throws(UpstreamFailure)
        -> UpstreamResponse
    {
        guard tracesProcess else { return try await upstream.send(request, timeout: timeout) }
        let result = await withSpan("aigw.upstream", ofKind: .client) { span -> Result<UpstreamResponse, UpstreamFailure> in
            span.attributes["gen_ai.provider.name"] = provider
            var traced = request
            if joinProcessTrace, let context = ServiceContext.current {
                InstrumentationSystem.instrument.inject(context, into: &traced.headers, using: HTTPHeadersInjector())
            }
            do throws(UpstreamFailure) {
                let response = try await upstream.send(traced, timeout: timeout)
                span.attributes["http.response.status_code"] = response.status
                return .success(response)
            } catch {
                span.recordError(error)
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// Reads trace headers from a request's fields.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { carrier[$0] }
    }
}

/// Writes trace headers into an upstream request's headers.
struct HTTPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout HTTPHeaders) {
        carrier.replaceOrAdd(name: key, value: value)
    }
}
