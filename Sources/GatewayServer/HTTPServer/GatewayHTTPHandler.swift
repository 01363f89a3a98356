import Foundation
import GatewayCore
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1

/// Everything that happens on a client connection after HTTP/1 decoding: reads requests,
/// answers each in a task on the connection's own event loop, writes the answers as bytes
/// (``AnswerEncoder``), holds pipelined requests until the answer before them has ended, and
/// lets slow clients go. It carries out the actions of two state machines and decides nothing
/// itself: ``ClientExchangeStateMachine`` (one exchange after another: body, keep-alive,
/// close) and ``ClientDeadlines`` (how long a client may take). Which code answers a request
/// is ``GatewayResponder``'s.
///
/// One handler does what a chain of them did before (Hummingbird's `NIOAsyncChannel` loop,
/// the conversion to HTTP types, NIO's pipelining, protocol-error, header-validation and
/// response-encoding handlers, the deadlines' own handler): in the profile, passing each part
/// of each request and answer along that chain was a quarter of the gateway's CPU.
final class GatewayHTTPHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var exchanges: ClientExchangeStateMachine
    private var deadlines: ClientDeadlines?
    private let limits: ClientDeadlines.Limits
    private let responder: GatewayResponder
    private let executor: EventLoopTaskExecutor
    private let closure: ConnectionClosure
    private let logger: Logger
    private var context: ChannelHandlerContext?

    /// The body the answer under way waits for, until the exchange machine decides it.
    private var pendingBody: EventLoopPromise<ClientExchangeStateMachine.BodyOutcome>?
    /// Parts the client sent while an answer was owed (pipelined requests), in order.
    private var held = CircularBuffer<HTTPServerRequestPart>()
    /// Whether a read was asked for while incoming parts were held: it is passed on when they are taken.
    private var readHeld = false
    /// Whether the request being answered is a HEAD (its answer has no body).
    private var answeringHEAD = false
    /// How the body of the answer being written is framed; nil while no answer head is written.
    private var framing: AnswerEncoder.Framing?
    /// Whether the answer being written says `Connection: close`.
    private var answerSaysClose = false
    /// The deadline alarm: one, moved lazily (armed for the earliest deadline; when it rings
    /// early it is re-armed for the one then in force, so a busy connection schedules nothing per request).
    private var alarm: Scheduled<Void>?
    private var alarmAt: NIODeadline?

    init(
        responder: GatewayResponder, executor: EventLoopTaskExecutor, closure: ConnectionClosure, maxBodyBytes: Int,
        deadlines: ClientDeadlines.Limits, logger: Logger
    ) {
        self.responder = responder
        self.executor = executor
        self.closure = closure
        self.exchanges = ClientExchangeStateMachine(maxBodyBytes: maxBodyBytes)
        self.limits = deadlines
        self.logger = logger
    }

    // MARK: The connection's life

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { startDeadlines(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startDeadlines(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connectionEnded(context)
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionEnded(context)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case ChannelEvent.inputClosed:
            perform(exchanges.inputClosed(), context: context)
        case is ChannelShouldQuiesceEvent:
            // A graceful shutdown: a waiting connection closes now, a busy one after its answer.
            if exchanges.isIdle && held.isEmpty {
                context.close(promise: nil)
            } else {
                answerSaysClose = true
            }
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A request HTTP/1 cannot parse, or a failed read: the connection cannot go on. A client
    /// whose request was not being answered yet is told it sent a bad request.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError, framing == nil, context.channel.isActive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(AnswerEncoder.badRequest)).whenComplete { _ in
                bound.value.close(promise: nil)
            }
            framing = .bodiless
            return
        }
        context.close(promise: nil)
    }

    private func connectionEnded(_ context: ChannelHandlerContext) {
        alarm?.cancel()
        alarm = nil
        held.removeAll()
        perform(exchanges.connectionClosed(), context: context)
    }

    // MARK: Reading requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if exchanges.holdsIncoming || !held.isEmpty {
            held.append(part)
            return
        }
        take(part, context: context)
    }

    /// Reads from the socket are held back while an answer is owed and its request has been read.
    func read(context: ChannelHandlerContext) {
        if exchanges.holdsIncoming {
            readHeld = true
        } else {
            context.read()
        }
    }

    private func take(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        guard !exchanges.isClosed else { return }
        switch part {
        case .head(let head):
            carryOut(deadlines?.headReceived(now: .now()), context: context)
            guard let request = Self.request(from: head) else {
                // llhttp has checked the method and names already: this is a method HTTP types refuse.
                errorCaught(context: context, error: HTTPParserError.invalidMethod)
                return
            }
            answeringHEAD = request.method == .head
            let declaredLength = request.headerFields[.contentLength].flatMap { Int($0) }
            let action = exchanges.headReceived(declaredLength: declaredLength, keepAlive: head.isKeepAlive)
            perform(action, context: context, head: request)
        case .body(let part):
            carryOut(deadlines?.bodyReceived(now: .now()), context: context)
            perform(exchanges.bodyReceived(part), context: context)
        case .end:
            carryOut(deadlines?.requestEnded(), context: context)
            perform(exchanges.endReceived(), context: context)
        }
    }

    /// Takes the parts held while an answer was owed, up to the next request that must wait,
    /// then lets reading go on.
    private func takeHeld(context: ChannelHandlerContext) {
        while !held.isEmpty && !exchanges.holdsIncoming && !exchanges.isClosed {
            take(held.removeFirst(), context: context)
        }
        if readHeld && !exchanges.holdsIncoming {
            readHeld = false
            context.read()
        }
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
        framing = nil
        answerSaysClose = false
        let writer = AnswerWriter(handler: NIOLoopBound(self, eventLoop: context.eventLoop))
        let exchange = ClientExchange(head: head, body: body, channel: context.channel, closure: closure)
        let responder = self.responder
        Task(executorPreference: executor) {
            await responder.answer(exchange, writer: writer)
        }
    }

    /// HTTP types' request from NIO's head: the `Host` header becomes the authority, as it does
    /// in HTTP types' own conversion; an absolute-form target keeps only its path and query.
    static func request(from head: HTTPRequestHead) -> HTTPRequest? {
        guard let method = HTTPRequest.Method(head.method.rawValue) else { return nil }
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count)
        var authority: String?
        for (name, value) in head.headers {
            guard let fieldName = HTTPField.Name(name) else { return nil }
            if authority == nil && fieldName.canonicalName == "host" {
                authority = value
                continue
            }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return HTTPRequest(method: method, scheme: "http", authority: authority, path: originForm(head.uri), headerFields: fields)
    }

    /// The origin form (`/path?query`) of a request target given in absolute form (`http://host/path`).
    static func originForm(_ target: String) -> String {
        guard !target.hasPrefix("/"), let schemeEnd = target.range(of: "://") else { return target }
        let afterAuthority = target[schemeEnd.upperBound...].firstIndex { $0 == "/" || $0 == "?" }
        guard let afterAuthority else { return "/" }
        let rest = target[afterAuthority...]
        return rest.hasPrefix("/") ? String(rest) : "/" + rest
    }

    // MARK: Writing the answer (called by ``AnswerWriter`` on the event loop)

    /// Writes the head of the answer (with the whole body when it is all here), ending the
    /// answer when `endsAnswer`; false when the connection has closed.
    @discardableResult
    fileprivate func writeHead(_ head: HTTPResponse, body: ByteBuffer?, endsAnswer: Bool) -> Bool {
        guard let context, context.channel.isActive, framing == nil else { return false }
        answerSaysClose = answerSaysClose || Self.saysClose(head.headerFields)
        var bytes = context.channel.allocator.buffer(capacity: 256 + head.headerFields.count * 48 + (body?.readableBytes ?? 0))
        let framing = AnswerEncoder.writeHead(head, answeringHEAD: answeringHEAD, into: &bytes)
        self.framing = framing
        if var body, body.readableBytes > 0 {
            switch framing {
            case .bodiless: break
            case .length: bytes.writeBuffer(&body)
            case .chunked:
                AnswerEncoder.writeChunkSize(body.readableBytes, into: &bytes)
                bytes.writeBuffer(&body)
                bytes.writeImmutableBuffer(AnswerEncoder.chunkSuffix)
            }
        }
        if endsAnswer {
            if framing == .chunked { bytes.writeImmutableBuffer(AnswerEncoder.lastChunk) }
            finishAnswer(with: bytes, context: context)
        } else {
            context.write(wrapOutboundOut(bytes), promise: nil)
        }
        return true
    }

    /// Writes and flushes a part of the body; nil when the client has gone, else the future of
    /// the write (complete once it is on the socket).
    fileprivate func writeBody(_ chunk: ByteBuffer) -> EventLoopFuture<Void>? {
        guard let context, context.channel.isActive, let framing else { return nil }
        switch framing {
        case .bodiless:
            return context.eventLoop.makeSucceededVoidFuture()
        case .length:
            return context.writeAndFlush(wrapOutboundOut(chunk))
        case .chunked:
            context.write(wrapOutboundOut(AnswerEncoder.chunkPrefix(size: chunk.readableBytes, allocator: context.channel.allocator)), promise: nil)
            context.write(wrapOutboundOut(chunk), promise: nil)
            return context.writeAndFlush(wrapOutboundOut(AnswerEncoder.chunkSuffix))
        }
    }

    /// Whether the client can take more now, or its buffers are full.
    fileprivate var isWritable: Bool { context?.channel.isWritable ?? false }

    fileprivate func writeEnd() {
        guard let context, context.channel.isActive, let framing else { return }
        finishAnswer(with: framing == .chunked ? AnswerEncoder.lastChunk : nil, context: context)
    }

    /// Breaks the answer off: the connection closes, so the client sees it incomplete.
    fileprivate func abort() {
        context?.close(promise: nil)
    }

    /// Writes the answer's last bytes and flushes; then the next request is taken, or the
    /// connection closes once they are written.
    private func finishAnswer(with last: ByteBuffer?, context: ChannelHandlerContext) {
        let action = exchanges.answerEnded(closeAfter: answerSaysClose)
        let deadlineAction = deadlines?.answerEnded(now: .now(), closeAfter: false)
        if case .close = action {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
            // Writes complete in order: once this one is written, so is the whole answer.
            context.writeAndFlush(wrapOutboundOut(last ?? context.channel.allocator.buffer(capacity: 0)), promise: written)
            return
        }
        if let last {
            context.writeAndFlush(wrapOutboundOut(last), promise: nil)
        } else {
            context.flush()
        }
        carryOut(deadlineAction, context: context)
        perform(action, context: context)
        takeHeld(context: context)
    }

    /// Whether a head's `Connection` header asks to close the connection.
    private static func saysClose(_ fields: HTTPFields) -> Bool {
        guard let connection = fields[.connection] else { return false }
        return connectionOptions(connection).contains("close")
    }

    // MARK: Deadlines

    private func startDeadlines(_ context: ChannelHandlerContext) {
        guard deadlines == nil else { return }
        let machine = ClientDeadlines(limits: limits, openedAt: .now())
        deadlines = machine
        carryOut(machine.opened(), context: context)
    }

    private func carryOut(_ action: ClientDeadlines.Action?, context: ChannelHandlerContext) {
        switch action {
        case .none, .some(.none):
            break
        case .armAlarm(let deadline):
            if let alarmAt, alarmAt <= deadline, alarm != nil { return }
            alarm?.cancel()
            alarmAt = deadline
            let loop = context.eventLoop.assumeIsolatedUnsafeUnchecked()
            alarm = loop.scheduleTask(deadline: deadline) { [self] in
                alarm = nil
                alarmAt = nil
                guard var deadlines else { return }
                let next = deadlines.alarmFired(now: .now())
                self.deadlines = deadlines
                carryOut(next, context: context)
            }
        case .close(let reason):
            logger.info("closing a client connection", metadata: ["reason": "\(reason)"])
            alarm?.cancel()
            alarm = nil
            context.close(promise: nil)
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

    /// Writes a whole answer (head and body) in one write.
    func writeWhole(_ head: HTTPResponse, body: ByteBuffer?) async {
        await onLoop { $0.writeHead(head, body: body, endsAnswer: true) }
    }

    /// Writes the head of an answer whose body follows.
    func writeHead(_ head: HTTPResponse) async {
        await onLoop { $0.writeHead(head, body: nil, endsAnswer: false) }
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
