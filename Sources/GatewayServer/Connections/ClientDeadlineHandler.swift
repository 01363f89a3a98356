import HTTPTypes
import Logging
import NIOCore
import HummingbirdCore
import NIOHTTPTypes

/// Holds each client connection to ``ClientDeadlines``: it feeds the machine the request
/// parts it sees going in and the answer parts going out, and carries out its actions with
/// one alarm, moved lazily (it is armed for the earliest deadline and, when it rings early,
/// re-armed for the one then in force, so a busy connection schedules nothing per request).
///
/// It sits after HTTP/1 decoding, so it sees whole heads: half a head is simply no head by
/// the deadline. It also closes the connection after an answer that says `Connection: close`
/// (the gateway's 413 for a declared body over the limit), so an unread body is never drained.
final class ClientDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var deadlines: ClientDeadlines?
    private let limits: ClientDeadlines.Limits
    private let logger: Logger
    private var alarm: Scheduled<Void>?
    private var alarmAt: NIODeadline?
    /// Whether the answer being written said `Connection: close`.
    private var closeAfterAnswer = false

    init(limits: ClientDeadlines.Limits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        alarm?.cancel()
        alarm = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        alarm?.cancel()
        alarm = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if var deadlines {
            let action: ClientDeadlines.Action
            switch unwrapInboundIn(data) {
            case .head: action = deadlines.headReceived(now: .now())
            case .body: action = deadlines.bodyReceived(now: .now())
            case .end: action = deadlines.requestEnded()
            }
            self.deadlines = deadlines
            perform(action, context: context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        switch part {
        case .head(let head):
            closeAfterAnswer = head.headerFields[.connection]?.lowercased() == "close"
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard var deadlines else {
                context.write(data, promise: promise)
                return
            }
            let action = deadlines.answerEnded(now: .now(), closeAfter: closeAfterAnswer)
            self.deadlines = deadlines
            if case .close = action {
                // The answer goes out first, then the connection closes.
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenComplete { result in
                    promise?.completeWith(result)
                    bound.value.close(promise: nil)
                }
                context.writeAndFlush(data, promise: written)
                return
            }
            context.write(data, promise: promise)
            perform(action, context: context)
        }
    }

    private func start(_ context: ChannelHandlerContext) {
        guard deadlines == nil else { return }
        let machine = ClientDeadlines(limits: limits, openedAt: .now())
        deadlines = machine
        perform(machine.opened(), context: context)
    }

    private func perform(_ action: ClientDeadlines.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
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
                perform(next, context: context)
            }
        case .close(let reason):
            logger.info("closing a client connection", metadata: ["reason": "\(reason)"])
            alarm?.cancel()
            alarm = nil
            context.close(promise: nil)
        }
    }
}
