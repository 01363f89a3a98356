import GatewayCore
import Hummingbird
import NIOCore

/// `/v1/{account}/{gateway}/{provider}/...` for every method: hands the request to the
/// pipeline and relays what it answers.
struct ProviderRoute: Sendable {
    let pipeline: GatewayPipeline

    func register(on router: Router<GatewayRequestContext>) {
        let handler: @Sendable (Request, GatewayRequestContext) async throws -> Response = { request, _ in
            await self.respond(to: request)
        }
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head, .options] {
            router.on("/v1/**", method: method, use: handler)
        }
    }

    func respond(to request: Request) async -> Response {
        let gatewayRequest = GatewayRequest(
            method: request.method, path: request.uri.path, query: request.uri.query, headers: request.headers,
            collectBody: { limit in
                do {
                    return .complete(try await request.body.collect(upTo: limit))
                } catch is NIOTooManyBytesError {
                    return .tooLarge
                } catch {
                    return .failed(String(describing: error))
                }
            })
        let answer = await pipeline.handle(gatewayRequest)
        let status = HTTPResponse.Status(code: answer.status)
        switch answer.body {
        case .buffer(let buffer):
            return Response(status: status, headers: answer.headers, body: ResponseBody(byteBuffer: buffer))
        case .relay(let relay):
            return Response(
                status: status, headers: answer.headers,
                body: ResponseBody(contentLength: relay.contentLength) { writer in
                    try await relay.relay { chunk in try await writer.write(chunk) }
                    try await writer.finish(nil)
                })
        }
    }
}
