import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// One keep-alive HTTP/1.1 connection to an upstream, carrying one exchange at a time.
///
/// A request goes out as one write (head, body and end together). The answer's head is
/// handed over at the end of the read that brought it, with whatever body came along; when
/// that includes the body's end, the whole answer is handed over at once and no stream is
/// made. Otherwise the rest of the body follows through a stream with backpressure: the
/// connection stops reading while the client has not taken what it already has.
///
/// After a complete answer that allows keep-alive, the connection returns to its pool.
/// Anything else (a timeout, a cancelled or abandoned exchange, a broken answer) closes it.
final class UpstreamConnection: Sendable {
    let channel: any Channel
    let endpoint: UpstreamURL.Endpoint
    private let handler: NIOLoopBound<Handler>

    init(channel: any Channel, endpoint: UpstreamURL.Endpoint, handler: NIOLoopBound<Handler>) {
        self.channel = channel
        self.endpoint = endpoint
        self.handler = handler
    }

    /// Sends `request` and waits for the answer's head, at most until `deadline`; a
    /// cancelled task closes the connection and throws ``UpstreamFailure/cancelled``.
    func execute(_ request: UpstreamRequest, deadline: NIODeadline) async throws(UpstreamFailure) -> UpstreamResponse {
        let promise = channel.eventLoop.makePromise(of: UpstreamResponse.self)
        let handler = self.handler
        if channel.eventLoop.inEventLoop {
            handler.value.start(request, deadline: deadline, promise: promise)
        } else {
            channel.eventLoop.execute { handler.value.start(request, deadline: deadline, promise: promise) }
        }
        do {
            return try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                self.channel.close(promise: nil)
            }
        } catch let failure as UpstreamFailure {
            throw Task.isCancelled ? .cancelled : failure
        } catch {
            throw Task.isCancelled ? .cancelled : .unreachable(UpstreamFailure.describe(error))
        }
    }

    /// The answer body's demand, passed from the stream to the connection.
    struct BodyDemand: NIOAsyncSequenceProducerDelegate {
        let handler: NIOLoopBound<Handler>
        /// Which exchange the stream belongs to (a late signal must not touch the next one).
        let exchange: Int

        func produceMore() {
            let (handler, exchange) = (self.handler, self.exchange)
            handler.eventLoop.execute { handler.value.bodyWanted(exchange: exchange) }
        }

        func didTerminate() {
            let (handler, exchange) = (self.handler, self.exchange)
            handler.eventLoop.execute { handler.value.bodyDropped(exchange: exchange) }
        }
    }

    /// The connection's state, kept on its event loop.
    final class Handler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundIn = HTTPClientRequestPart
        typealias OutboundOut = HTTPClientRequestPart

        /// Called when the connection may carry another exchange (see ``whenIdle(_:)``).
        private var onIdle: (() -> Void)?
        /// How long an idle connection stays open.
        let idleTimeout: TimeAmount

        private var context: ChannelHandlerContext?
        /// Counts exchanges, so that signals from an earlier answer's stream are told apart.
        private var exchange = 0
        /// The exchange waiting for its head, and what of the answer has arrived.
        private var promise: EventLoopPromise<UpstreamResponse>?
        private var head: HTTPResponseHead?
        private var early: ByteBuffer?
        private var requestKeepAlive = true
        /// The body stream, once the head was handed over without the body's end.
        private var source: UpstreamBody.Rest.Source?
        private var bodyEnded = true
        /// Backpressure: the stream is full, and a read was asked for meanwhile.
        private var bodyFull = false
        private var readPending = false
        /// When the exchange under way times out (nil: no exchange, or its head has come).
        private var exchangeDeadline: NIODeadline?
        /// When the connection, idle, closes (nil: not idle).
        private var idleDeadline: NIODeadline?
        /// One timer serves both deadlines. It is moved only when a deadline comes before it,
        /// and when it rings early it sets itself again: a request on a kept-alive connection
        /// usually schedules and cancels nothing (each did both, twice, which showed in the profile).
        private var alarm: (due: NIODeadline, task: Scheduled<Void>)?
        private var failure: UpstreamFailure?
        private var writeFailure: UpstreamFailure?
        private var closed = false

        init(idleTimeout: TimeAmount) {
            self.idleTimeout = idleTimeout
        }

        /// Sets what is called each time the connection may carry another exchange. On a
        /// connection already closed it is not kept: nothing would ever let it go.
        func whenIdle(_ action: @escaping () -> Void) {
            if !closed { onIdle = action }
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.context = nil
        }

        // MARK: The exchange

        func start(_ request: UpstreamRequest, deadline: NIODeadline, promise: EventLoopPromise<UpstreamResponse>) {
            guard let context, !closed, self.promise == nil, bodyEnded else {
                // Closed before the request could go (a failed TLS handshake, say): say why.
                promise.fail(failure ?? UpstreamFailure.unreachable("the provider closed the connection"))
                return
            }
            idleDeadline = nil
            self.promise = promise
            exchange += 1
            head = nil
            early = nil
            source = nil
            bodyEnded = false
            failure = nil
            writeFailure = nil
            exchangeDeadline = deadline
            setAlarm(deadline, context: context)
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)

            var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.url.target)
            head.headers.reserveCapacity(request.headers.count + 2)
            head.headers.add(name: "host", value: request.url.hostHeader)
            head.headers.add(contentsOf: request.headers)
            if let body = request.body {
                head.headers.add(name: "content-length", value: String(body.readableBytes))
            }
            requestKeepAlive = head.isKeepAlive
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if let body = request.body, body.readableBytes > 0 {
                context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            }
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenFailure { error in
                // The reason a failed write gives is often only "closed"; a TLS or socket error
                // caught meanwhile says more, so it is kept in preference.
                let handler = bound.value
                if handler.writeFailure == nil { handler.writeFailure = .unreachable(UpstreamFailure.describe(error)) }
                handler.context?.close(promise: nil)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let received):
                guard promise != nil, head == nil else {
                    // An answer nobody asked for: the connection cannot be trusted.
                    context.close(promise: nil)
                    return
                }
                exchangeDeadline = nil
                head = received
            case .body(let bytes):
                if let source {
                    if source.yield(bytes) == .stopProducing { bodyFull = true }
                } else if head != nil {
                    if early == nil {
                        early = bytes
                    } else {
                        var bytes = bytes
                        early!.writeBuffer(&bytes)
                    }
                }
            case .end:
                guard head != nil, !bodyEnded else { return }
                bodyEnded = true
                let keepAlive = requestKeepAlive && (head?.isKeepAlive ?? false)
                let response = promise.map { ($0, self.response(body: UpstreamBody(whole: early ?? ByteBuffer()))) }
                promise = nil
                early = nil
                head = nil
                // Nothing is buffered for a reader any more: read again (an idle connection
                // must see the provider close it).
                bodyFull = false
                if readPending {
                    readPending = false
                    context.read()
                }
                // Back to the pool before the answer is handed over, so that a request the
                // answer's reader sends next finds this connection free.
                let stream = source
                source = nil
                if keepAlive {
                    becomeIdle(context: context)
                } else {
                    context.close(promise: nil)
                }
                if let (promise, response) = response {
                    // The whole answer came in this read: hand it over at once, no stream.
                    promise.succeed(response)
                } else {
                    stream?.finish()
                }
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            // The head came, the body's end did not (yet): hand over the head with what
            // there is, and stream the rest.
            if let promise, let head {
                self.promise = nil
                let made = UpstreamBody.Rest.makeSequence(
                    backPressureStrategy: .init(lowWatermark: 2, highWatermark: 16), finishOnDeinit: false,
                    delegate: BodyDemand(handler: NIOLoopBound(self, eventLoop: context.eventLoop), exchange: exchange))
                source = made.source
                promise.succeed(
                    UpstreamResponse(
                        status: Int(head.status.code), headers: head.headers,
                        body: UpstreamBody(first: early, rest: made.sequence)))
                early = nil
            }
            context.fireChannelReadComplete()
        }

        private func response(body: UpstreamBody) -> UpstreamResponse {
            UpstreamResponse(status: Int(head!.status.code), headers: head!.headers, body: body)
        }

        private func becomeIdle(context: ChannelHandlerContext) {
            let due = NIODeadline.now() + idleTimeout
            idleDeadline = due
            setAlarm(due, context: context)
            onIdle?()
        }

        // MARK: Deadlines

        /// Makes sure the alarm rings no later than `due`.
        private func setAlarm(_ due: NIODeadline, context: ChannelHandlerContext) {
            if let alarm, alarm.due <= due { return }
            alarm?.task.cancel()
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            alarm = (due, context.eventLoop.scheduleTask(deadline: due) { bound.value.alarmRang() })
        }

        /// Times out the exchange, or closes the idle connection, when its deadline has come;
        /// otherwise sets the alarm for the next deadline.
        private func alarmRang() {
            alarm = nil
            let now = NIODeadline.now()
            if let exchangeDeadline, exchangeDeadline <= now {
                fail(.timedOut)
            } else if let idleDeadline, idleDeadline <= now {
                context?.close(promise: nil)
            } else if let context, let next = [exchangeDeadline, idleDeadline].compactMap({ $0 }).min() {
                setAlarm(next, context: context)
            }
        }

        /// Fails whatever is under way and closes the connection.
        private func fail(_ reason: UpstreamFailure) {
            if failure == nil { failure = reason }
            context?.close(promise: nil)
            settleClosed()
        }

        /// The connection is gone: the exchange under way fails with the first reason known.
        private func settleClosed() {
            closed = true
            onIdle = nil
            alarm?.task.cancel()
            alarm = nil
            exchangeDeadline = nil
            idleDeadline = nil
            let reason = failure ?? writeFailure ?? .unreachable("the provider closed the connection")
            if let promise {
                self.promise = nil
                promise.fail(reason)
            }
            if let source, !bodyEnded {
                self.source = nil
                source.finish(reason)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            settleClosed()
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            fail(.unreachable(UpstreamFailure.describe(error)))
        }

        // MARK: Backpressure

        func read(context: ChannelHandlerContext) {
            if bodyFull {
                readPending = true
            } else {
                context.read()
            }
        }

        func bodyWanted(exchange: Int) {
            guard exchange == self.exchange else { return }
            bodyFull = false
            if readPending, let context {
                readPending = false
                context.read()
            }
        }

        /// The body's reader stopped before its end: the rest cannot be read for anyone.
        func bodyDropped(exchange: Int) {
            if exchange == self.exchange, source != nil, !bodyEnded { fail(.cancelled) }
        }
    }
}
