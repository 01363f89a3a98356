import Foundation
import GatewayCore
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// The end of each client connection's pipeline: reads requests (as HTTP types, after
/// HTTP/1 decoding), answers each in a task on the connection's own event loop, and writes
/// the answers. What happens to a connection between requests is decided by
/// ``ClientExchangeStateMachine``; which code answers a request, by ``GatewayResponder``.
///
/// This replaces Hummingbird's `NIOAsyncChannel` server loop for every request: the request
/// goes straight from the decoder to the responder, and the answer straight to the encoder,
/// without an async sequence of parts and an outbound writer in between (in the profile,
/// about a quarter of the gateway's CPU went there).
final class GatewayHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private var exchanges: ClientExchangeStateMachine
    private let responder: GatewayResponder
    private let executor: EventLoopTaskExecutor
    private let closure: ConnectionClosure
    private var context: ChannelHandlerContext?
    /// The body the answer under way waits for, until the machine decides it.
    private var pendingBody: EventLoopPromise<ClientExchangeStateMachine.BodyOutcome>?
    /// Whether the answer being written says `Connection: close`.
    private var answerSaysClose = false

    init(responder: GatewayResponder, executor: EventLoopTaskExecutor, closure: ConnectionClosure, maxBodyBytes: Int) {
        self.responder = responder
        self.executor = executor
        self.closure = closure
        self.exchanges = ClientExchangeStateMachine(maxBodyBytes: maxBodyBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        perform(exchanges.connectionClosed(), context: context)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            let declaredLength = head.headerFields[.contentLength].flatMap { Int($0) }
            let keepAlive = !Self.saysClose(head.headerFields)
            perform(exchanges.headReceived(declaredLength: declaredLength, keepAlive: keepAlive), context: context, head: head)
        case .body(let part):
            perform(exchanges.bodyReceived(part), context: context)
        case .end:
            perform(exchanges.endReceived(), context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent {
            perform(exchanges.inputClosed(), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A request HTTP/1 cannot parse (NIO's protocol-error handler has answered it with a
    /// 400 if nothing else was under way), or a failed read: the connection cannot go on.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(exchanges.connectionClosed(), context: context)
        context.fireChannelInactive()
    }

    private func perform(
        _ action: ClientExchangeStateMachine.Action, context: ChannelHandlerContext, head: HTTPRequest? = nil
    ) {
        switch action {
        case .none:
            break
        case .startAnswer(let decided):
            guard let head else { return }
            let body = context.eventLoop.makePromise(of: ClientExchangeStateMachine.BodyOutcome.self)
            if let decided { body.succeed(decided) } else { pendingBody = body }
            startAnswer(head, body: body.futureResult, context: context)
        case .deliverBody(let outcome):
            pendingBody?.succeed(outcome)
            pendingBody = nil
        case .close:
            context.close(promise: nil)
        }
    }

    /// Answers `head` in a task of its own that prefers this connection's event loop.
    private func startAnswer(
        _ head: HTTPRequest, body: EventLoopFuture<ClientExchangeStateMachine.BodyOutcome>, context: ChannelHandlerContext
    ) {
        let writer = AnswerWriter(handler: NIOLoopBound(self, eventLoop: context.eventLoop))
        let exchange = ClientExchange(head: head, body: body, channel: context.channel, closure: closure)
        let responder = self.responder
        Task(executorPreference: executor) {
            await responder.answer(exchange, writer: writer)
        }
    }

    // MARK: Writing the answer (called by ``AnswerWriter`` on the event loop)

    /// Writes the head of the answer; false when the connection has closed. (A closed
    /// connection may have had an answer already: HTTP's protocol-error handler answers a
    /// request that broke off mid-body with a 400 as it closes.)
    @discardableResult
    fileprivate func writeHead(_ head: HTTPResponse) -> Bool {
        guard let context, context.channel.isActive else { return false }
        answerSaysClose = Self.saysClose(head.headerFields)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        return true
    }

    /// Writes and flushes a part of the body; the future completes once it is written.
    fileprivate func writeBody(_ chunk: ByteBuffer) -> EventLoopFuture<Void>? {
        guard let context, context.channel.isActive else { return nil }
        return context.writeAndFlush(wrapOutboundOut(.body(chunk)))
    }

    /// Writes a part of the body that the answer's end (which flushes) follows at once.
    fileprivate func writeBodyUnflushed(_ chunk: ByteBuffer) {
        context?.write(wrapOutboundOut(.body(chunk)), promise: nil)
    }

    /// Whether the client can take more now, or its buffers are full.
    fileprivate var isWritable: Bool { context?.channel.isWritable ?? false }

    fileprivate func writeEnd() {
        guard let context, context.channel.isActive else { return }
        let action = exchanges.answerEnded(closeAfter: answerSaysClose)
        if case .close = action {
            // The answer goes out first, then the connection closes.
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
            return
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        perform(action, context: context)
    }

    fileprivate func abort() {
        context?.close(promise: nil)
    }

    /// Whether a head's `Connection` header asks to close the connection.
    private static func saysClose(_ fields: HTTPFields) -> Bool {
        guard let connection = fields[.connection] else { return false }
        return connection.split(separator: ",").contains {
            $0.trimmingCharacters(in: .whitespaces).caseInsensitiveCompare("close") == .orderedSame
        }
    }
}

/// One request as the responder sees it: its head now, its body when decided.
struct ClientExchange: Sendable {
    let head: HTTPRequest
    let body: EventLoopFuture<ClientExchangeStateMachine.BodyOutcome>
    /// The client's connection.
    let channel: any Channel
    /// Cancels the answering task when the client goes away.
    let closure: ConnectionClosure
}

/// Writes one answer to its connection. Every call runs on the connection's event loop (the
/// answering task prefers it); a call made elsewhere hops there first.
struct AnswerWriter: Sendable {
    fileprivate let handler: NIOLoopBound<GatewayHTTPHandler>

    private var eventLoop: any EventLoop { handler.eventLoop }

    /// Writes a whole answer (head, body, end) in one flush.
    func writeWhole(_ head: HTTPResponse, body: ByteBuffer?) async {
        await onLoop { handler in
            guard handler.writeHead(head) else { return }
            if let body, body.readableBytes > 0 { handler.writeBodyUnflushed(body) }
            handler.writeEnd()
        }
    }

    /// Writes the head of an answer whose body follows.
    func writeHead(_ head: HTTPResponse) async {
        await onLoop { $0.writeHead(head) }
    }

    /// Writes a part of the body; waits while the client's buffers are full. Throws when the
    /// client has gone, which ends the relay.
    func writeBody(_ chunk: ByteBuffer) async throws {
        let outcome: BodyWrite? = await onLoop { handler in
            guard let written = handler.writeBody(chunk) else { return .clientGone }
            return handler.isWritable ? .taken : .waitFor(written)
        }
        switch outcome {
        case .taken: return
        case .waitFor(let written): try await written.get()
        case .clientGone, nil: throw ChannelError.ioOnClosedChannel
        }
    }

    private enum BodyWrite: Sendable {
        /// The client's buffers have room for more.
        case taken
        /// They are full: the next part waits until this one is written.
        case waitFor(EventLoopFuture<Void>)
        case clientGone
    }

    /// Ends the answer.
    func writeEnd() async {
        await onLoop { $0.writeEnd() }
    }

    /// Breaks the answer off: the connection closes, so the client sees it incomplete.
    func abort() async {
        await onLoop { $0.abort() }
    }

    /// Runs `work` with the handler on its event loop; nil when the loop has shut down.
    @discardableResult
    private func onLoop<Result: Sendable>(_ work: @escaping @Sendable (GatewayHTTPHandler) -> Result) async -> Result? {
        if eventLoop.inEventLoop { return work(handler.value) }
        let handler = self.handler
        return try? await eventLoop.submit { work(handler.value) }.get()
    }
}
