import GatewayCore
import NIOCore

/// The time limits of one client connection, as a state machine: events from the
/// connection (a request head, body bytes, the request's end, an answer's end, the alarm)
/// go in; what to do (arm the alarm for a deadline, close the connection and why) comes out.
/// ``GatewayHTTPHandler`` carries the actions out; the tests drive this without sockets.
///
/// Only the client's own sending is timed. Once a request is read, the connection waits for
/// the gateway's answer as long as that takes: the request's timeout governs the provider.
struct ClientDeadlines {
    /// The limits, from ``GatewayCore/ClientLimits``.
    struct Limits: Equatable {
        /// From the connection's opening to its first request head being complete.
        var head: TimeAmount
        /// Longest pause between two reads of a request body.
        var bodyIdle: TimeAmount
        /// Longest time from a request's head to the end of its body.
        var body: TimeAmount
        /// After an answer, how long the connection may wait for the next request head.
        var keepAlive: TimeAmount
    }

    enum State: Equatable {
        /// No request open: the next head must be complete by `deadline` (the head timeout on
        /// a new connection, the keep-alive timeout after an answer).
        case awaitingHead(deadline: NIODeadline, afterAnswer: Bool)
        /// A request's body is arriving; `answersOwed` counts requests read or being read
        /// and not yet answered, this one included.
        case readingBody(idleDeadline: NIODeadline, wholeDeadline: NIODeadline, answersOwed: Int)
        /// Every request read; the gateway owes `answersOwed` answers.
        case answering(answersOwed: Int)
        /// Closed, by a deadline or after an answer that said `Connection: close`.
        case closed
    }

    /// What the handler does after an event.
    enum Action: Equatable {
        case none
        /// Have the alarm ring no later than this (a later alarm is moved earlier; an earlier
        /// one is left to ring and re-armed then).
        case armAlarm(NIODeadline)
        /// Close the connection; `reason` is for the process log.
        case close(reason: String)
    }

    let limits: Limits
    private(set) var state: State

    /// A connection that has just opened at `now`.
    init(limits: Limits, openedAt now: NIODeadline) {
        self.limits = limits
        self.state = .awaitingHead(deadline: now + limits.head, afterAnswer: false)
    }

    /// The deadline in force, if any.
    var deadline: NIODeadline? {
        switch state {
        case .awaitingHead(let deadline, _): deadline
        case .readingBody(let idle, let whole, _): min(idle, whole)
        case .answering, .closed: nil
        }
    }

    /// The alarm the connection needs now that it is open.
    func opened() -> Action {
        deadline.map(Action.armAlarm) ?? .none
    }

    /// A request head arrived (its body, possibly empty, follows).
    mutating func headReceived(now: NIODeadline) -> Action {
        let owed: Int
        switch state {
        case .awaitingHead: owed = 1
        case .answering(let answersOwed): owed = answersOwed + 1  // pipelined
        case .readingBody(_, _, let answersOwed): owed = answersOwed + 1  // a head without the previous end cannot come
        case .closed: return .none
        }
        state = .readingBody(idleDeadline: now + limits.bodyIdle, wholeDeadline: now + limits.body, answersOwed: owed)
        return .armAlarm(deadline!)
    }

    /// Bytes of a request body arrived: the idle deadline moves on.
    mutating func bodyReceived(now: NIODeadline) -> Action {
        guard case .readingBody(_, let whole, let owed) = state else { return .none }
        state = .readingBody(idleDeadline: now + limits.bodyIdle, wholeDeadline: whole, answersOwed: owed)
        return .none  // the deadline only moved later: the alarm already set rings early and is re-armed
    }

    /// The request's body ended: nothing more is asked of the client until the answer is sent.
    mutating func requestEnded() -> Action {
        guard case .readingBody(_, _, let owed) = state else { return .none }
        state = .answering(answersOwed: owed)
        return .none
    }

    /// An answer was sent whole. `closeAfter` when it said `Connection: close`.
    mutating func answerEnded(now: NIODeadline, closeAfter: Bool) -> Action {
        if closeAfter {
            state = .closed
            return .close(reason: "the answer said Connection: close")
        }
        switch state {
        case .answering(let owed) where owed <= 1:
            state = .awaitingHead(deadline: now + limits.keepAlive, afterAnswer: true)
            return .armAlarm(deadline!)
        case .answering(let owed):
            state = .answering(answersOwed: owed - 1)
        case .readingBody(let idle, let whole, let owed):
            // An answer sent before its request was read whole (a 413, say): the body still times.
            state = .readingBody(idleDeadline: idle, wholeDeadline: whole, answersOwed: max(1, owed - 1))
        case .awaitingHead, .closed:
            break
        }
        return .none
    }

    /// The alarm rang at `now`: close when a deadline has passed, else ring again at the next.
    mutating func alarmFired(now: NIODeadline) -> Action {
        guard let deadline else { return .none }
        guard now >= deadline else { return .armAlarm(deadline) }
        let reason: String
        switch state {
        case .awaitingHead(_, let afterAnswer):
            reason =
                afterAnswer
                ? "no request within the keep-alive timeout (\(Self.seconds(limits.keepAlive)))"
                : "no complete request head within \(Self.seconds(limits.head))"
        case .readingBody(let idle, _, _):
            reason =
                now >= idle
                ? "the request body paused for longer than \(Self.seconds(limits.bodyIdle))"
                : "the request body took longer than \(Self.seconds(limits.body))"
        case .answering, .closed:
            return .none
        }
        state = .closed
        return .close(reason: reason)
    }

    private static func seconds(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}

extension ClientDeadlines.Limits {
    /// The limits the configuration's `clients` section sets.
    init(_ clients: ClientLimits) {
        self.init(
            head: .milliseconds(Int64(clients.headTimeoutMs)), bodyIdle: .milliseconds(Int64(clients.bodyIdleTimeoutMs)),
            body: .milliseconds(Int64(clients.bodyTimeoutMs)), keepAlive: .milliseconds(Int64(clients.keepAliveTimeoutMs)))
    }
}
