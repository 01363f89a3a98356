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

    /// Carries out what the connection's state machine (``UpstreamConnectionStateMachine``)
    /// decides, on the connection's event loop: it writes the request, hands the answer to
    /// whoever waits for it, and keeps the one timer the deadlines need.
    final class Handler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundIn = HTTPClientRequestPart
        typealias OutboundOut = HTTPClientRequestPart

        private var state: UpstreamConnectionStateMachine
        private var context: ChannelHandlerContext?
        /// Called when the connection may carry another exchange (see ``whenIdle(_:)``).
        private var onIdle: (() -> Void)?
        /// Who waits for the answer's head: set while the state is `awaitingHead` or `headReceived`.
        private var headWaiter: EventLoopPromise<UpstreamResponse>?
        /// The body's stream: set while the state is `streaming`.
        private var bodyStream: UpstreamBody.Rest.Source?
        /// One timer serves both deadlines (the head's, the idle connection's). It is moved only
        /// when a deadline comes before it, and when it rings early the state machine sets it
        /// again: a request on a kept-alive connection usually schedules and cancels nothing.
        private var alarm: (due: NIODeadline, task: Scheduled<Void>)?

        init(idleTimeout: TimeAmount) {
            self.state = UpstreamConnectionStateMachine(idleTimeout: idleTimeout)
        }

        /// Sets what is called each time the connection may carry another exchange. On a
        /// connection already closed it is not kept: nothing would ever let it go.
        func whenIdle(_ action: @escaping () -> Void) {
            if !state.isClosed { onIdle = action }
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.context = nil
        }

        // MARK: Events

        /// Sends `request`; `promise` gets the answer's head, which must come by `deadline`.
        func start(_ request: UpstreamRequest, deadline: NIODeadline, promise: EventLoopPromise<UpstreamResponse>) {
            var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.url.target)
            head.headers.reserveCapacity(request.headers.count + 2)
            head.headers.add(name: "host", value: request.url.hostHeader)
            head.headers.add(contentsOf: request.headers)
            if let body = request.body {
                head.headers.add(name: "content-length", value: String(body.readableBytes))
            }
            switch state.start(keepAlive: head.isKeepAlive, deadline: deadline) {
            case .refuse(let reason):
                // A connection that failed before its first request (a TLS handshake refused,
                // say) is already out of its pipeline: the state still says why.
                promise.fail(reason)
            case .send:
                guard let context else {
                    promise.fail(UpstreamFailure.unreachable("the provider closed the connection"))
                    return
                }
                headWaiter = promise
                setAlarm(deadline, context: context)
                send(head, body: request.body, context: context)
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): run(state.headReceived(head), context: context)
            case .body(let bytes): run(state.bodyReceived(bytes), context: context)
            case .end: run(state.endReceived(now: context.eventLoop.now), context: context)
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            run(state.readComplete(), context: context)
            context.fireChannelReadComplete()
        }

        func read(context: ChannelHandlerContext) {
            run(state.readRequested(), context: context)
        }

        func channelInactive(context: ChannelHandlerContext) {
            run(state.channelInactive(), context: context)
            alarm?.task.cancel()
            alarm = nil
            onIdle = nil
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            run(state.errorCaught(.unreachable(UpstreamFailure.describe(error))), context: context)
        }

        /// The body's reader wants more (from ``BodyDemand``).
        func bodyWanted(exchange: Int) {
            if let context { run(state.readerWantsMore(exchange: exchange), context: context) }
        }

        /// The body's reader stopped before its end (from ``BodyDemand``).
        func bodyDropped(exchange: Int) {
            if let context { run(state.readerStopped(exchange: exchange), context: context) }
        }

        private func alarmRang() {
            alarm = nil
            if let context { run(state.alarmRang(now: context.eventLoop.now), context: context) }
        }

        // MARK: Actions

        private func run(_ action: UpstreamConnectionStateMachine.Action, context: ChannelHandlerContext) {
            switch action {
            case .none:
                break
            case .read:
                context.read()
            case .close:
                context.close(promise: nil)
            case .setAlarm(let due):
                setAlarm(due, context: context)
            case .deliverWholeAnswer(let head, let body, let then):
                let waiter = headWaiter
                headWaiter = nil
                settle(then, context: context)
                waiter?.succeed(UpstreamResponse(status: Int(head.status.code), headers: head.headers, body: UpstreamBody(whole: body)))
            case .deliverHead(let head, let early, let exchange):
                let made = UpstreamBody.Rest.makeSequence(
                    backPressureStrategy: .init(lowWatermark: 2, highWatermark: 16), finishOnDeinit: false,
                    delegate: BodyDemand(handler: NIOLoopBound(self, eventLoop: context.eventLoop), exchange: exchange))
                bodyStream = made.source
                let waiter = headWaiter
                headWaiter = nil
                waiter?.succeed(
                    UpstreamResponse(status: Int(head.status.code), headers: head.headers, body: UpstreamBody(first: early, rest: made.sequence)))
            case .forwardBody(let bytes):
                if bodyStream?.yield(bytes) == .stopProducing { state.readerIsFull() }
            case .finishBody(let read, let then):
                let stream = bodyStream
                bodyStream = nil
                if read { context.read() }
                settle(then, context: context)
                stream?.finish()
            case .fail(let waiter, let reason, let close):
                if close { context.close(promise: nil) }
                switch waiter {
                case .none: break
                case .head:
                    headWaiter?.fail(reason)
                    headWaiter = nil
                case .body:
                    bodyStream?.finish(reason)
                    bodyStream = nil
                }
            }
        }

        /// Writes the request as one flush; a failed write closes the connection.
        private func send(_ head: HTTPRequestHead, body: ByteBuffer?, context: ChannelHandlerContext) {
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if let body, body.readableBytes > 0 {
                context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            }
            let written = context.eventLoop.makePromise(of: Void.self)
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            written.futureResult.whenFailure { error in
                let handler = bound.value
                guard let context = handler.context else { return }
                handler.run(handler.state.writeFailed(.unreachable(UpstreamFailure.describe(error))), context: context)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        }

        /// Keeps the connection for the next exchange, or closes it, once an answer is complete.
        private func settle(_ then: UpstreamConnectionStateMachine.AfterAnswer, context: ChannelHandlerContext) {
            switch then {
            case .keepOpen(let closesAt):
                setAlarm(closesAt, context: context)
                onIdle?()
            case .close:
                context.close(promise: nil)
            }
        }

        /// Makes sure the alarm rings no later than `due`.
        private func setAlarm(_ due: NIODeadline, context: ChannelHandlerContext) {
            if let alarm, alarm.due <= due { return }
            alarm?.task.cancel()
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            alarm = (due, context.eventLoop.scheduleTask(deadline: due) { bound.value.alarmRang() })
        }
    }
}
