import AIGateway
import GatewayCore
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// `/v1/{account}/{gateway}/{provider}/...` for every method: hands the request to the
/// pipeline and writes what it answers.
///
/// A client that closes its connection while the pipeline waits for the provider cancels
/// the pipeline (and with it the upstream call); once the answer streams, the next write
/// to the closed connection fails and ends the relay, which drops the upstream body.
struct ProviderRoute: Sendable {
    let pipeline: GatewayPipeline

    static let logIDHeader = HTTPField.Name(GatewayHeader.logID)!

    /// The methods a provider call may use.
    static let methods: Set<HTTPRequest.Method> = [.get, .post, .put, .patch, .delete, .head, .options]

    /// Whether a request is a provider call (`/v1/...`) that this route answers.
    static func serves(method: HTTPRequest.Method, path: String) -> Bool {
        path.hasPrefix("/v1/") && methods.contains(method)
    }

    /// Answers a provider call, cancelled if the client's connection closes first.
    func answer(_ exchange: ClientExchange, uri: URI, writer: AnswerWriter, date: String) async {
        let body = exchange.body
        let gatewayRequest = GatewayRequest(
            method: exchange.head.method, path: uri.path, query: uri.query, headers: exchange.head.headerFields,
            collectBody: { limit in
                switch try? await body.get() {
                case .complete(let gathered): gathered.readableBytes > limit ? .tooLarge : .complete(gathered)
                case .tooLarge: .tooLarge
                case .abandoned, nil: .failed("the client closed the connection before sending the whole body")
                }
            })
        let pipeline = self.pipeline
        let answer = await exchange.closure.cancellingOnClose { await pipeline.handle(gatewayRequest) }
        var head = HTTPResponse(status: HTTPResponse.Status(code: answer.status), headerFields: answer.headers)
        head.headerFields[.date] = date
        // With durable logs, an answer is complete only once its log is written: a whole
        // answer is sent after, a relayed one ends (its last chunk, chunked framing) after.
        let durable = pipeline.configuration.logQueue.durable && answer.headers[Self.logIDHeader] != nil
        switch answer.body {
        case .buffer(let buffer):
            if durable { await pipeline.waitForDurableLogs() }
            await writer.writeWhole(Self.framed(head, length: buffer.readableBytes), body: buffer)
        case .stream(let relay):
            // An answer that is all here goes out whole: head and body in one write.
            if let whole = relay.wholeAnswer() {
                if durable { await pipeline.waitForDurableLogs() }
                await writer.writeWhole(Self.framed(head, length: whole.readableBytes), body: whole)
                return
            }
            await writer.writeHead(durable ? head : Self.framed(head, length: relay.contentLength))
            do {
                try await relay.relay { chunk in try await writer.writeBody(chunk) }
            } catch {
                // The provider's body broke off, or the client went away: either way the
                // client must not see a complete answer.
                await writer.abort()
                return
            }
            if durable { await pipeline.waitForDurableLogs() }
            await writer.writeEnd()
        }
    }

    /// `head` with a `Content-Length` of `length` unless it has one (a HEAD answer keeps the
    /// provider's); without either, the body goes out in chunks.
    static func framed(_ head: HTTPResponse, length: Int?) -> HTTPResponse {
        guard let length, head.headerFields[.contentLength] == nil else { return head }
        var head = head
        head.headerFields[.contentLength] = String(length)
        return head
    }
}
