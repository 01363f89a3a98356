import NIOCore
import NIOHTTP1

/// The protocol state of one upstream connection: which exchange is under way, how far its
/// answer has come, whether the reader of a streamed body keeps up, and when the connection
/// times out. Events come from the channel, the reader and the clock; each returns the one
/// ``Action`` the channel handler carries out. No sockets, promises or timers live here, so
/// every transition is tested on its own (`UpstreamConnectionStateMachineTests`).
///
/// ```
///            start                head            read complete
///   idle ──────────────▶ awaitingHead ───▶ headReceived ─────────▶ streaming
///    ▲                         │                 │ end (whole answer)   │ end
///    └──── keep-alive ─────────┴─────────────────┴──────────────────────┘
///   any state ── error, deadline, reader gone, unasked answer, channel inactive ──▶ closed
/// ```
struct UpstreamConnectionStateMachine {
    /// One request and its answer.
    struct Exchange: Equatable {
        /// Counts the connection's exchanges, so a late signal of an earlier body's reader
        /// is told apart from the current one.
        var id: Int
        /// Whether the connection may be kept after this answer: the request allowed it and,
        /// once its head came, the answer did too.
        var keepAlive: Bool
    }

    /// Whether the reader of a streamed body keeps up with it.
    enum Flow: Equatable {
        /// The reader takes what comes: reads go on.
        case flowing
        /// The reader's buffer is full: the next read is held back.
        case full
        /// The buffer is full and a read was held back; it is made when the reader wants more.
        case fullWithReadHeld
    }

    enum State: Equatable {
        /// Open and free for a request; closes when `closesAt` passes (nil: never, as
        /// while a new connection is handed to its first request).
        case idle(closesAt: NIODeadline?)
        /// The request went out; its answer's head has not come by `deadline`.
        case awaitingHead(Exchange, deadline: NIODeadline)
        /// The head came in the current read, with whatever body came along; it is handed
        /// over when the read ends (or at once, whole, when the body's end came too).
        case headReceived(Exchange, HTTPResponseHead, early: ByteBuffer?)
        /// The head was handed over; the rest of the body streams to its reader.
        case streaming(Exchange, Flow)
        /// The connection is closed or closing; `reason` is why, when it failed.
        case closed(reason: UpstreamFailure?)
    }

    /// Which of the exchange's waiters a failure reaches.
    enum Waiter: Equatable {
        /// No exchange was under way.
        case none
        /// The caller waiting for the answer's head.
        case head
        /// The reader of the streamed body.
        case body
    }

    /// What becomes of the connection once an answer is complete.
    enum AfterAnswer: Equatable {
        /// Kept for the next request, until `closesAt` if none comes.
        case keepOpen(closesAt: NIODeadline)
        /// Closed: the provider or the request asked for it.
        case close
    }

    /// What the channel handler does with a request it was asked to send.
    enum StartAction: Equatable {
        /// Write it, as exchange `exchange`, and time its head out at the deadline given.
        case send(exchange: Int)
        /// Refuse it: the connection cannot carry it.
        case refuse(UpstreamFailure)
    }

    /// What the channel handler does after an event.
    enum Action: Equatable {
        case none
        /// Ask the channel for more bytes.
        case read
        /// Close the channel (nothing was waiting).
        case close
        /// Make sure the alarm rings no later than this.
        case setAlarm(NIODeadline)
        /// The whole answer came in one read: keep or close the connection, then hand the
        /// answer over in one piece (settled first, so that a request the answer's reader
        /// sends next finds the connection free).
        case deliverWholeAnswer(HTTPResponseHead, ByteBuffer, then: AfterAnswer)
        /// The read ended after the head: hand the head over with the body bytes so far, and
        /// open a stream, tagged with `exchange`, for the rest.
        case deliverHead(HTTPResponseHead, early: ByteBuffer?, exchange: Int)
        /// Pass body bytes to the stream's reader.
        case forwardBody(ByteBuffer)
        /// The streamed body ended: make the held read if `read`, keep or close the
        /// connection, then finish the stream.
        case finishBody(read: Bool, then: AfterAnswer)
        /// Fail the waiter (if any) with `reason`; close the channel if `close`.
        case fail(Waiter, UpstreamFailure, close: Bool)
    }

    /// How long an idle connection stays open.
    let idleTimeout: TimeAmount
    private(set) var state: State = .idle(closesAt: nil)
    private var exchanges = 0
    /// Why a write failed. A failed write often says only "closed"; an error caught while the
    /// channel closes says more, so this reason is used only when none other came.
    private var writeFailure: UpstreamFailure?

    init(idleTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
    }

    /// Whether the connection is closed (or closing) for good.
    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    // MARK: The exchange

    /// A request wants to go out on this connection; its head must come by `deadline`.
    mutating func start(keepAlive: Bool, deadline: NIODeadline) -> StartAction {
        switch state {
        case .idle:
            exchanges += 1
            writeFailure = nil
            state = .awaitingHead(Exchange(id: exchanges, keepAlive: keepAlive), deadline: deadline)
            return .send(exchange: exchanges)
        case .closed(let reason):
            // Closed before the request could go (a failed TLS handshake, say): say why. With no
            // reason it closed itself (idle, say, in the moment it was handed out): nothing was sent.
            return .refuse(reason ?? .closedBeforeSending)
        case .awaitingHead, .headReceived, .streaming:
            return .refuse(.unreachable("the connection is carrying another request"))
        }
    }

    /// The answer's head arrived.
    mutating func headReceived(_ head: HTTPResponseHead) -> Action {
        guard case .awaitingHead(var exchange, _) = state else {
            // An answer nobody asked for: the connection cannot be trusted.
            return fail(.unreachable("the provider sent an answer that no request asked for"))
        }
        exchange.keepAlive = exchange.keepAlive && head.isKeepAlive
        state = .headReceived(exchange, head, early: nil)
        return .none
    }

    /// Body bytes arrived.
    mutating func bodyReceived(_ bytes: ByteBuffer) -> Action {
        switch state {
        case .headReceived(let exchange, let head, var early):
            if early == nil {
                early = bytes
            } else {
                var bytes = bytes
                early!.writeBuffer(&bytes)
            }
            state = .headReceived(exchange, head, early: early)
            return .none
        case .streaming:
            return .forwardBody(bytes)
        case .idle, .awaitingHead, .closed:
            // The decoder gives body parts only after a head: nothing to do with stray ones.
            return .none
        }
    }

    /// The answer's end arrived; `now` starts the idle time of a kept connection.
    mutating func endReceived(now: NIODeadline) -> Action {
        switch state {
        case .headReceived(let exchange, let head, let early):
            let then = settle(after: exchange, now: now)
            return .deliverWholeAnswer(head, early ?? ByteBuffer(), then: then)
        case .streaming(let exchange, let flow):
            let then = settle(after: exchange, now: now)
            return .finishBody(read: flow == .fullWithReadHeld, then: then)
        case .idle, .awaitingHead, .closed:
            return .none
        }
    }

    /// A read of the channel ended: a head that came without its body's end is handed over.
    mutating func readComplete() -> Action {
        guard case .headReceived(let exchange, let head, let early) = state else { return .none }
        state = .streaming(exchange, .flowing)
        return .deliverHead(head, early: early, exchange: exchange.id)
    }

    /// The answer is complete: the connection is kept or closed.
    private mutating func settle(after exchange: Exchange, now: NIODeadline) -> AfterAnswer {
        if exchange.keepAlive {
            let closesAt = now + idleTimeout
            state = .idle(closesAt: closesAt)
            return .keepOpen(closesAt: closesAt)
        }
        state = .closed(reason: nil)
        return .close
    }

    // MARK: Backpressure

    /// The channel wants to read.
    mutating func readRequested() -> Action {
        switch state {
        case .streaming(let exchange, .full):
            state = .streaming(exchange, .fullWithReadHeld)
            return .none
        case .streaming(_, .fullWithReadHeld):
            return .none
        case .idle, .awaitingHead, .headReceived, .streaming(_, .flowing), .closed:
            return .read
        }
    }

    /// The stream's buffer filled up when bytes were passed to it.
    mutating func readerIsFull() {
        if case .streaming(let exchange, .flowing) = state { state = .streaming(exchange, .full) }
    }

    /// The reader of exchange `id`'s body wants more.
    mutating func readerWantsMore(exchange id: Int) -> Action {
        guard case .streaming(let exchange, let flow) = state, exchange.id == id else { return .none }
        state = .streaming(exchange, .flowing)
        return flow == .fullWithReadHeld ? .read : .none
    }

    /// The reader of exchange `id`'s body stopped before its end: the rest cannot be read for anyone.
    mutating func readerStopped(exchange id: Int) -> Action {
        guard case .streaming(let exchange, _) = state, exchange.id == id else { return .none }
        return fail(.cancelled)
    }

    // MARK: Deadlines and faults

    /// The alarm rang at `now`: the exchange times out or the idle connection closes when its
    /// deadline has passed; otherwise the alarm is set again for the deadline still to come.
    mutating func alarmRang(now: NIODeadline) -> Action {
        switch state {
        case .awaitingHead(_, let deadline):
            return deadline <= now ? fail(.timedOut) : .setAlarm(deadline)
        case .idle(let closesAt?):
            if closesAt <= now {
                state = .closed(reason: nil)
                return .close
            }
            return .setAlarm(closesAt)
        case .idle(closesAt: nil), .headReceived, .streaming, .closed:
            return .none
        }
    }

    /// The channel caught an error.
    mutating func errorCaught(_ reason: UpstreamFailure) -> Action {
        fail(reason)
    }

    /// Writing the request failed: the channel closes, and the exchange fails when it has.
    mutating func writeFailed(_ reason: UpstreamFailure) -> Action {
        if isClosed { return .none }
        if writeFailure == nil { writeFailure = reason }
        return .close
    }

    /// The channel closed: whatever waits fails with the first reason known.
    mutating func channelInactive() -> Action {
        if case .closed = state { return .none }
        let reason = writeFailure ?? .unreachable("the provider closed the connection")
        let waiter = waiting
        state = .closed(reason: reason)
        return .fail(waiter, reason, close: false)
    }

    /// Fails what is under way and closes the connection.
    private mutating func fail(_ reason: UpstreamFailure) -> Action {
        if case .closed = state { return .none }
        let waiter = waiting
        state = .closed(reason: reason)
        return .fail(waiter, reason, close: true)
    }

    /// Who waits on the connection now.
    private var waiting: Waiter {
        switch state {
        case .awaitingHead, .headReceived: .head
        case .streaming: .body
        case .idle, .closed: .none
        }
    }
}
