import AIGateway
import GatewayCore
import HTTPTypes
import Hummingbird
import NIOCore

/// `/v1/{account}/{gateway}/{provider}/...` for every method: hands the request to the
/// pipeline and relays what it answers.
///
/// A client that closes its connection while the pipeline waits for the provider cancels
/// the pipeline (and with it the upstream call); once the answer streams, the next write
/// to the closed connection fails and ends the relay, which drops the upstream body.
struct ProviderRoute: Sendable {
    let pipeline: GatewayPipeline
    let connections = ClientConnections()

    static let logIDHeader = HTTPField.Name(GatewayHeader.logID)!

    /// The methods a provider call may use.
    static let methods: Set<HTTPRequest.Method> = [.get, .post, .put, .patch, .delete, .head, .options]

    /// Whether `request` is a provider call (`/v1/...`) that this route answers.
    static func serves(_ request: Request) -> Bool {
        request.uri.path.hasPrefix("/v1/") && methods.contains(request.method)
    }

    /// Answers a provider call, cancelled if the client's connection closes first.
    func respond(to request: Request, context: GatewayRequestContext) async -> Response {
        await respond(to: request, closure: connections.closure(of: context.channel))
    }

    func respond(to request: Request, closure: ConnectionClosure) async -> Response {
        let gatewayRequest = GatewayRequest(
            method: request.method, path: request.uri.path, query: request.uri.query, headers: request.headers,
            collectBody: { limit in
                // A body declared larger than the limit is refused before a byte of it is read.
                if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit { return .tooLarge }
                do {
                    return .complete(try await request.body.collect(upTo: limit))
                } catch is NIOTooManyBytesError {
                    return .tooLarge
                } catch {
                    return .failed(String(describing: error))
                }
            })
        let pipeline = self.pipeline
        let answer = await closure.cancellingOnClose { await pipeline.handle(gatewayRequest) }
        let status = HTTPResponse.Status(code: answer.status)
        // With durable logs, an answer is complete only once its log is written: a whole
        // answer is sent after, a relayed one ends (its last chunk, chunked framing) after.
        let durable = pipeline.configuration.logQueue.durable && answer.headers[Self.logIDHeader] != nil
        switch answer.body {
        case .buffer(let buffer):
            if durable { await pipeline.waitForDurableLogs() }
            return Response(status: status, headers: answer.headers, body: ResponseBody(byteBuffer: buffer))
        case .stream(let relay):
            // An answer that is all here goes out whole: head and body in one write.
            if let whole = relay.wholeAnswer() {
                if durable { await pipeline.waitForDurableLogs() }
                return Response(status: status, headers: answer.headers, body: ResponseBody(byteBuffer: whole))
            }
            return Response(
                status: status, headers: answer.headers,
                body: ResponseBody(contentLength: durable ? nil : relay.contentLength) { writer in
                    try await relay.relay { chunk in try await writer.write(chunk) }
                    if durable { await pipeline.waitForDurableLogs() }
                    try await writer.finish(nil)
                })
        }
    }
}
