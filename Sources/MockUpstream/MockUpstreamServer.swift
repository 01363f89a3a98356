import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A stand-in for every provider family (OpenAI, Anthropic, Workers AI, Google, Cohere),
/// whole and streamed, with latency and faults injected on request. It answers each
/// provider at its native path, so a gateway reaches it by having every provider's base
/// URL point at `http://HOST:PORT` plus the provider's own base path
/// (see ``MockUpstreamServer/providerBaseURLs(origin:)``).
///
/// Control endpoints: `GET /_mock/requests` (the latest requests, headers and bodies),
/// `GET /_mock/stats` (`{"total": N, "open": N, "abandoned": N}`: requests seen, answers
/// being worked on, answers whose caller went away), `POST /_mock/reset`, `POST /_mock/release/{token}`.
public struct MockUpstreamServer: Sendable {
    let options: MockUpstreamOptions
    let recorder = MockRecorder()
    let providers: [any MockProvider] = [OpenAIMock(), AnthropicMock(), WorkersAIMock(), GoogleMock(), CohereMock()]

    public init(options: MockUpstreamOptions = MockUpstreamOptions()) {
        self.options = options
    }

    /// The base URL each provider slug should use to reach a mock listening at `origin`
    /// (e.g. `http://127.0.0.1:9090`): the mock's origin plus the provider's own base path.
    public static func providerBaseURLs(origin: String) -> [String: String] {
        [
            "openai": "\(origin)/v1",
            "anthropic": origin,
            "workers-ai": "\(origin)/client/v4/accounts/{account_id}/ai",
            "google-ai-studio": origin,
            "cohere": origin,
            "groq": "\(origin)/openai/v1",
            "mistral": origin,
            "deepseek": origin,
            "openrouter": "\(origin)/api",
            "grok": origin,
            "cerebras": "\(origin)/v1",
            "perplexity-ai": origin,
            "fireworks": "\(origin)/inference/v1",
            "azure-openai": "\(origin)/openai/deployments/{deployment}",
        ]
    }

    /// A Hummingbird application serving the mock on `host:port` (port 0 picks a free one).
    public func application(
        host: String = "127.0.0.1", port: Int = 0, logger: Logger = Logger(label: "aigw.mock-upstream"),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        let responder: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            try await self.respond(to: request)
        }
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("/", method: method, use: responder)
            router.on("/**", method: method, use: responder)
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "aigw-mock-upstream"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    func respond(to request: Request) async throws -> Response {
        let path = request.uri.path
        if path.hasPrefix("/_mock/") { return control(path: path, method: request.method) }

        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024 * 1024)
        if options.recordRequests {
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            recorder.record(
                .init(
                    method: request.method.rawValue, path: path, query: request.uri.query, headers: headers,
                    body: String(decoding: body.readableBytesView.prefix(65536), as: UTF8.self)))
        } else {
            recorder.record(nil)
        }

        var faults = MockFaults(headers: request.headers, defaults: options)
        if let failFirst = faults.failFirst, let key = faults.sequence {
            if recorder.next(inSequence: key) > failFirst {
                faults.status = nil
                faults.hang = false
            } else if !faults.hang, faults.status == nil {
                faults.status = 503
            }
        }
        if faults.hang {
            // Wait until the mock shuts down (like a provider that stopped answering), but stop
            // as soon as the caller goes away, counting it.
            try await recorder.tracking {
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(600)) }
                }
            }
        } else if faults.latencyMs > 0 {
            // A plain wait: watching the connection for the caller leaving, as a hang does, was
            // seen to end a kept-alive connection's wait early now and then (a 502 at the gateway).
            let wait = Duration.milliseconds(faults.latencyMs)
            try await recorder.tracking {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            }
        }

        guard let provider = providers.first(where: { $0.matches(path: path) }) else {
            return json(404, #"{"error":{"message":"the mock upstream does not serve \#(path)","type":"not_found"}}"#)
        }
        if let status = faults.status, !(200..<300).contains(status) {
            var response = json(status, provider.error(status: status))
            if let retryAfter = faults.retryAfter { response.headers[.retryAfter] = retryAfter }
            return response
        }
        let parsed = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        let query = request.uri.query
        guard provider.wantsStream(request: parsed, path: path, query: query) else {
            let answer = provider.answer(request: parsed, path: path)
            if let dropAfter = faults.dropAfter {
                return brokenWhole(answer, after: dropAfter)
            }
            return json(faults.status ?? 200, answer)
        }
        let events = provider.stream(request: parsed, path: path, query: query, chunks: faults.chunks)
        return streamed(events, contentType: provider.streamContentType(path: path, query: query), faults: faults)
    }

    private func streamed(_ events: [String], contentType: String, faults: MockFaults) -> Response {
        let recorder = self.recorder
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await recorder.tracking { try await writeEvents(events, faults: faults, to: &writer) }
            })
    }

    private func writeEvents(_ events: [String], faults: MockFaults, to writer: inout any ResponseBodyWriter) async throws {
                for (index, event) in events.enumerated() {
                    if let dropAfter = faults.dropAfter, index >= dropAfter {
                        throw MockDrop()  // Hummingbird closes the connection mid-body
                    }
                    if index > 0, faults.chunkDelayMs > 0 {
                        try await Task.sleep(for: .milliseconds(faults.chunkDelayMs))
                    }
                    try await writer.write(ByteBuffer(string: event))
                    if index == 0, let gate = faults.gate {
                        await recorder.wait(for: gate)
                    }
                }
                try await writer.finish(nil)
    }

    /// A whole answer whose connection closes after `after` bytes, though it promised more.
    private func brokenWhole(_ answer: String, after: Int) -> Response {
        let bytes = ByteBuffer(string: answer)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody(contentLength: bytes.readableBytes) { writer in
                try await writer.write(bytes.getSlice(at: 0, length: min(after, bytes.readableBytes)) ?? ByteBuffer())
                throw MockDrop()
            })
    }

    private func control(path: String, method: HTTPRequest.Method) -> Response {
        switch (method, path) {
        case (.get, "/_mock/requests"):
            let data = (try? JSONEncoder().encode(recorder.recent)) ?? Data("[]".utf8)
            return json(200, String(decoding: data, as: UTF8.self))
        case (.get, "/_mock/stats"):
            return json(200, #"{"total":\#(recorder.total),"open":\#(recorder.open),"abandoned":\#(recorder.abandoned)}"#)
        case (.post, "/_mock/reset"):
            recorder.reset()
            return json(200, #"{"reset":true}"#)
        case (.post, _) where path.hasPrefix("/_mock/release/"):
            recorder.release(String(path.dropFirst("/_mock/release/".count)))
            return json(200, #"{"released":true}"#)
        default:
            return json(404, #"{"error":"unknown control endpoint \#(path)"}"#)
        }
    }

    private func json(_ status: Int, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Thrown inside a response body to cut the connection, as a failing provider would.
struct MockDrop: Error {}
