import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Answers each request the server reads: provider calls (`/v1/...`) through the provider
/// route, everything else (the management API, health, metrics) through Hummingbird's router.
///
/// Provider calls are nearly all the traffic, and the pipeline cuts their path itself
/// (`GatewayRoute`). Through the router each paid for a trie lookup and for the matched
/// route's path written out as a string (about 2% of the gateway's CPU under load).
struct GatewayResponder: Sendable {
    let providers: ProviderRoute
    let router: RouterResponder<GatewayRequestContext>
    let logger: Logger
    let date = HTTPDate()

    func answer(_ exchange: ClientExchange, writer: AnswerWriter) async {
        let uri = URI(exchange.head.path ?? "")
        if ProviderRoute.serves(method: exchange.head.method, path: uri.path) {
            await providers.answer(exchange, uri: uri, writer: writer, date: date.now)
        } else {
            await answerWithRouter(exchange, writer: writer)
        }
    }

    /// Gathers the body (the management API's are small), lets the router answer, and writes
    /// what it answers.
    private func answerWithRouter(_ exchange: ClientExchange, writer: AnswerWriter) async {
        let body: ByteBuffer
        switch try? await exchange.body.get() {
        case .complete(let gathered): body = gathered
        case .tooLarge:
            let refusal = Response(status: .contentTooLarge, headers: [.connection: "close"])
            await write(refusal, to: writer)
            return
        case .abandoned, nil:
            return  // the client went away
        }
        let request = Request(head: exchange.head, body: RequestBody(buffer: body))
        let context = GatewayRequestContext(source: .init(channel: exchange.channel, logger: logger))
        let response: Response
        do {
            response = try await router.respond(to: request, context: context)
        } catch {
            // The routes turn their own errors into answers; anything else is the server's fault.
            logger.debug("unanswered error from a route", metadata: ["error": "\(error)"])
            response = Response(status: .internalServerError)
        }
        await write(response, to: writer)
    }

    private func write(_ response: Response, to writer: AnswerWriter) async {
        var head = response.head
        head.headerFields[.date] = date.now
        await writer.writeHead(head)
        do {
            try await response.body.write(RouterBodyWriter(writer: writer))
        } catch {
            // The body broke off (or the client went away): the client must see a broken answer.
            await writer.abort()
        }
    }
}

/// Hummingbird's body writer over an ``AnswerWriter``.
private struct RouterBodyWriter: ResponseBodyWriter {
    let writer: AnswerWriter

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await writer.writeBody(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        await writer.writeEnd()
    }
}
