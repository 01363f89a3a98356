import GatewayCore
import NIOCore

/// One client connection's exchanges, one at a time: a request's head starts its answer at
/// once, its body is gathered up to the limit and handed over when complete, and the
/// connection is kept for the next request or closed when the answer ends.
///
/// Pipelined requests wait (``holdsIncoming``) until the answer before them has ended and its
/// request has been read to the end, so a head never arrives mid-exchange from a well-formed
/// stream. The machine holds no I/O: the handler feeds it what it reads and
/// writes and carries out the actions it returns.
struct ClientExchangeStateMachine {
    /// What the handler does next.
    enum Action: Equatable {
        case none
        /// A request began: start answering it. With a body, the body is already decided
        /// (it declared more than the limit); otherwise ``deliverBody(_:)`` follows.
        case startAnswer(body: BodyOutcome?)
        /// The request's body is decided: hand it to the answer waiting for it.
        case deliverBody(BodyOutcome)
        /// Close the connection (after the answer, which has been written).
        case close
    }

    /// What the answer gets when it asks for the body.
    enum BodyOutcome: Equatable {
        case complete(ByteBuffer)
        case tooLarge
        /// The body will never come: the client went away, or the answer ended without it.
        case abandoned
    }

    private enum Body {
        /// Parts are arriving (gathered in ``gathered``); the answer may be waiting for them.
        case receiving
        /// Handed to the answer (complete, too large, or abandoned).
        case delivered
        /// The answer ended before the body did: the rest is read and dropped, up to the limit.
        case discarding(received: Int)
    }

    private enum State {
        /// Waiting for a request head.
        case idle
        /// A request is being read, answered, or both. `readToEnd`: its end part has arrived.
        case exchanging(body: Body, readToEnd: Bool, keepAlive: Bool)
        /// The connection is closing or closed: nothing more happens on it.
        case closed
    }

    /// The most body bytes a request may have.
    let maxBodyBytes: Int
    private var state: State = .idle
    /// The body read so far, while it is ``Body/receiving``. Kept outside the state so that
    /// appending to it never copies it.
    private var gathered: ByteBuffer?

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// Whether the connection waits for a request (no exchange under way).
    var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    /// Whether what the client sends next must wait: its request has been read to the end
    /// and the answer has not ended (HTTP/1.1 answers in order, so a pipelined request waits,
    /// and nothing more is read from the socket meanwhile).
    var holdsIncoming: Bool {
        if case .exchanging(_, true, _) = state { return true }
        return false
    }

    /// Whether the connection is closing: anything more the client sends is dropped.
    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// A request head arrived. `declaredLength` is its `Content-Length`; `keepAlive` is false
    /// when it says `Connection: close`.
    mutating func headReceived(declaredLength: Int?, keepAlive: Bool) -> Action {
        guard case .idle = state else {
            // A head in mid-exchange breaks HTTP/1.1's order: nothing on this connection can be trusted.
            state = .closed
            return .close
        }
        if let declaredLength, declaredLength > maxBodyBytes {
            // Refused before a byte is read; the connection closes after the answer, so the body is never drained.
            state = .exchanging(body: .delivered, readToEnd: false, keepAlive: false)
            return .startAnswer(body: .tooLarge)
        }
        gathered = nil
        state = .exchanging(body: .receiving, readToEnd: false, keepAlive: keepAlive)
        return .startAnswer(body: nil)
    }

    /// A part of the request's body arrived.
    mutating func bodyReceived(_ part: ByteBuffer) -> Action {
        guard case .exchanging(let body, let readToEnd, let keepAlive) = state, !readToEnd else { return .none }
        switch body {
        case .receiving:
            if (gathered?.readableBytes ?? 0) + part.readableBytes > maxBodyBytes {
                gathered = nil
                state = .exchanging(body: .delivered, readToEnd: false, keepAlive: false)
                return .deliverBody(.tooLarge)
            }
            if gathered == nil {
                gathered = part  // the usual case, a body in one part: no copy
            } else {
                var part = part
                gathered!.writeBuffer(&part)
            }
            return .none
        case .delivered:
            return .none
        case .discarding(let received):
            let total = received + part.readableBytes
            if total > maxBodyBytes {
                state = .closed
                return .close
            }
            state = .exchanging(body: .discarding(received: total), readToEnd: false, keepAlive: keepAlive)
            return .none
        }
    }

    /// The request's end arrived.
    mutating func endReceived() -> Action {
        guard case .exchanging(let body, false, let keepAlive) = state else { return .none }
        switch body {
        case .receiving:
            state = .exchanging(body: .delivered, readToEnd: true, keepAlive: keepAlive)
            let body = gathered ?? ByteBuffer()
            gathered = nil
            return .deliverBody(.complete(body))
        case .delivered:
            state = .exchanging(body: .delivered, readToEnd: true, keepAlive: keepAlive)
            return .none
        case .discarding:
            // The answer ended before: the exchange is over.
            state = .idle
            return .none
        }
    }

    /// The answer's end was written. `closeAfter`: the answer said `Connection: close`.
    mutating func answerEnded(closeAfter: Bool) -> Action {
        guard case .exchanging(let body, let readToEnd, let keepAlive) = state else { return .none }
        if closeAfter || !keepAlive {
            state = .closed
            return .close
        }
        if readToEnd {
            state = .idle
            return .none
        }
        switch body {
        case .receiving:
            // Answered without the body (a refusal): the body is dropped as it arrives.
            state = .exchanging(body: .discarding(received: gathered?.readableBytes ?? 0), readToEnd: false, keepAlive: true)
            gathered = nil
            return .deliverBody(.abandoned)
        case .delivered:
            // Refused as too large, its rest unread: only closing ends it.
            state = .closed
            return .close
        case .discarding:
            return .none
        }
    }

    /// The client closed its side of the connection (it sends nothing more). Waiting for a
    /// request, the connection closes; mid-exchange, the answer is still written (a client
    /// that half-closes while it waits is taken as gone, and its answer says so), then it closes.
    mutating func inputClosed() -> Action {
        guard case .exchanging(let body, let readToEnd, _) = state else {
            state = .closed
            return .close
        }
        state = .exchanging(body: .delivered, readToEnd: readToEnd, keepAlive: false)
        if case .receiving = body {
            gathered = nil
            return .deliverBody(.abandoned)
        }
        return .none
    }

    /// The connection closed (or its client went away).
    mutating func connectionClosed() -> Action {
        let previous = state
        state = .closed
        gathered = nil
        if case .exchanging(.receiving, _, _) = previous { return .deliverBody(.abandoned) }
        return .none
    }
}
