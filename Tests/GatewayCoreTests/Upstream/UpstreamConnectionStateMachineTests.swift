import NIOCore
import NIOHTTP1
import Testing

@testable import GatewayCore

/// Every transition of an upstream connection, without a socket: an exchange from request to
/// kept or closed connection, backpressure on a streamed body, the deadlines, and each fault.
@Suite("Upstream connection state machine: exchanges, backpressure, deadlines, faults")
struct UpstreamConnectionStateMachineTests {
    typealias Machine = UpstreamConnectionStateMachine

    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let idle = TimeAmount.seconds(60)

    func head(_ status: HTTPResponseStatus = .ok, close: Bool = false) -> HTTPResponseHead {
        HTTPResponseHead(version: .http1_1, status: status, headers: close ? ["connection": "close"] : [:])
    }

    /// A machine whose request went out (exchange 1), waiting for the head until t0 + 5 s.
    func awaiting(keepAlive: Bool = true) -> Machine {
        var machine = Machine(idleTimeout: idle)
        #expect(machine.start(keepAlive: keepAlive, deadline: t0 + .seconds(5)) == .send(exchange: 1))
        return machine
    }

    /// A machine streaming exchange 1's body.
    func streaming() -> Machine {
        var machine = awaiting()
        #expect(machine.headReceived(head()) == .none)
        #expect(machine.readComplete() == .deliverHead(head(), early: nil, exchange: 1))
        return machine
    }

    // MARK: Exchanges

    @Test("a whole answer in one read is handed over at once and the connection is kept, idle until its timeout")
    func wholeAnswer() {
        var machine = awaiting()
        #expect(machine.headReceived(head()) == .none)
        #expect(machine.bodyReceived(ByteBuffer(string: "o")) == .none)
        #expect(machine.bodyReceived(ByteBuffer(string: "k")) == .none)
        #expect(
            machine.endReceived(now: t0) == .deliverWholeAnswer(head(), ByteBuffer(string: "ok"), then: .keepOpen(closesAt: t0 + idle)))
        #expect(machine.state == .idle(closesAt: t0 + idle))
        #expect(machine.readComplete() == .none, "nothing is left to hand over at the read's end")
    }

    @Test("an answer with no body is handed over with an empty one")
    func emptyBody() {
        var machine = awaiting()
        _ = machine.headReceived(head(.noContent))
        #expect(machine.endReceived(now: t0) == .deliverWholeAnswer(head(.noContent), ByteBuffer(), then: .keepOpen(closesAt: t0 + idle)))
    }

    @Test("the head is handed over at the end of its read with the body so far; the rest streams; the end keeps the connection")
    func streamedAnswer() {
        var machine = awaiting()
        _ = machine.headReceived(head())
        _ = machine.bodyReceived(ByteBuffer(string: "first"))
        #expect(machine.readComplete() == .deliverHead(head(), early: ByteBuffer(string: "first"), exchange: 1))
        #expect(machine.bodyReceived(ByteBuffer(string: "more")) == .forwardBody(ByteBuffer(string: "more")))
        #expect(machine.readComplete() == .none)
        #expect(machine.endReceived(now: t0) == .finishBody(read: false, then: .keepOpen(closesAt: t0 + idle)))
        #expect(machine.start(keepAlive: true, deadline: t0 + .seconds(9)) == .send(exchange: 2), "the next exchange is counted")
    }

    @Test("an idle connection closes at its idle time; a request that reaches it then is refused as never sent (the client sends it on another)")
    func idleClosedBeforeSending() {
        var machine = awaiting()
        _ = machine.headReceived(head())
        _ = machine.readComplete()
        #expect(machine.endReceived(now: t0) == .finishBody(read: false, then: .keepOpen(closesAt: t0 + idle)))
        #expect(machine.alarmRang(now: t0 + idle) == .close)
        #expect(machine.start(keepAlive: true, deadline: t0 + idle + .seconds(1)) == .refuse(.closedBeforeSending))
    }

    @Test("the connection closes after an answer when the request or the answer says so")
    func closeAfterAnswer() {
        var askedByRequest = awaiting(keepAlive: false)
        _ = askedByRequest.headReceived(head())
        #expect(askedByRequest.endReceived(now: t0) == .deliverWholeAnswer(head(), ByteBuffer(), then: .close))
        #expect(askedByRequest.isClosed)

        var askedByAnswer = awaiting()
        _ = askedByAnswer.headReceived(head(close: true))
        _ = askedByAnswer.readComplete()
        #expect(askedByAnswer.endReceived(now: t0) == .finishBody(read: false, then: .close))
        #expect(askedByAnswer.start(keepAlive: true, deadline: t0) == .refuse(.closedBeforeSending))
        #expect(askedByAnswer.channelInactive() == .none, "a connection closed on purpose fails nobody when it goes")
    }

    @Test("a busy connection refuses a second request; a failed one refuses with the reason it failed")
    func refusals() {
        var busy = awaiting()
        #expect(busy.start(keepAlive: true, deadline: t0) == .refuse(.unreachable("the connection is carrying another request")))
        var failed = Machine(idleTimeout: idle)
        #expect(failed.errorCaught(.unreachable("handshake failed")) == .fail(.none, .unreachable("handshake failed"), close: true))
        #expect(failed.start(keepAlive: true, deadline: t0) == .refuse(.unreachable("handshake failed")))
    }

    // MARK: Backpressure

    @Test("a full reader holds back the next read, which is made when the reader wants more")
    func backpressure() {
        var machine = streaming()
        #expect(machine.readRequested() == .read, "a reader that keeps up lets reads go on")
        machine.readerIsFull()
        #expect(machine.readRequested() == .none)
        #expect(machine.state == .streaming(.init(id: 1, keepAlive: true), .fullWithReadHeld))
        #expect(machine.readRequested() == .none, "one held read is enough")
        #expect(machine.readerWantsMore(exchange: 1) == .read)
        #expect(machine.readerWantsMore(exchange: 1) == .none, "no read is held any more")
    }

    @Test("a full reader that wants more before a read is asked for makes no read")
    func wantsMoreWithoutHeldRead() {
        var machine = streaming()
        machine.readerIsFull()
        #expect(machine.readerWantsMore(exchange: 1) == .none)
        #expect(machine.readRequested() == .read)
    }

    @Test("a read held back when the body ends is made then: an idle connection must see the provider close it")
    func heldReadAtEnd() {
        var machine = streaming()
        machine.readerIsFull()
        _ = machine.readRequested()
        #expect(machine.endReceived(now: t0) == .finishBody(read: true, then: .keepOpen(closesAt: t0 + idle)))
        #expect(machine.readRequested() == .read)
    }

    @Test("signals of an earlier exchange's reader do not touch the current one")
    func lateSignals() {
        var machine = streaming()
        _ = machine.endReceived(now: t0)
        _ = machine.start(keepAlive: true, deadline: t0 + .seconds(5))
        _ = machine.headReceived(head())
        _ = machine.readComplete()
        machine.readerIsFull()
        _ = machine.readRequested()
        #expect(machine.readerWantsMore(exchange: 1) == .none)
        #expect(machine.readerStopped(exchange: 1) == .none)
        #expect(machine.readerWantsMore(exchange: 2) == .read)
    }

    @Test("a reader that stops before the body's end closes the connection: the rest cannot be read for anyone")
    func readerStops() {
        var machine = streaming()
        #expect(machine.readerStopped(exchange: 1) == .fail(.body, .cancelled, close: true))
        #expect(machine.isClosed)
        #expect(machine.readerStopped(exchange: 1) == .none)
    }

    // MARK: Deadlines

    @Test("no head by the deadline: the exchange times out and the connection closes; an early alarm is set again")
    func headDeadline() {
        var machine = awaiting()
        #expect(machine.alarmRang(now: t0 + .seconds(1)) == .setAlarm(t0 + .seconds(5)))
        #expect(machine.alarmRang(now: t0 + .seconds(5)) == .fail(.head, .timedOut, close: true))
        #expect(machine.channelInactive() == .none, "the waiter was failed once, with the first reason")
    }

    @Test("once the head has come, the head's deadline no longer applies")
    func deadlineAfterHead() {
        var machine = streaming()
        #expect(machine.alarmRang(now: t0 + .seconds(60)) == .none)
        #expect(!machine.isClosed)
    }

    @Test("an idle connection closes when its idle time passes, not before")
    func idleDeadline() {
        var machine = awaiting()
        _ = machine.headReceived(head())
        _ = machine.endReceived(now: t0)
        #expect(machine.alarmRang(now: t0 + .seconds(5)) == .setAlarm(t0 + idle))
        #expect(machine.alarmRang(now: t0 + idle) == .close)
        #expect(machine.isClosed)
        var new = Machine(idleTimeout: idle)
        #expect(new.alarmRang(now: t0 + idle) == .none, "a new connection has no idle deadline")
    }

    // MARK: Faults

    @Test("the provider closes: a waiter for the head or the body fails; an idle connection just goes")
    func providerCloses() {
        var waitingForHead = awaiting()
        let closed = UpstreamFailure.unreachable("the provider closed the connection")
        #expect(waitingForHead.channelInactive() == .fail(.head, closed, close: false))
        var headNotYetHandedOver = awaiting()
        _ = headNotYetHandedOver.headReceived(head())
        #expect(headNotYetHandedOver.channelInactive() == .fail(.head, closed, close: false))
        var midBody = streaming()
        #expect(midBody.channelInactive() == .fail(.body, closed, close: false), "a body that breaks off throws, it never just stops")
        var idleConnection = Machine(idleTimeout: idle)
        #expect(idleConnection.channelInactive() == .fail(.none, closed, close: false))
    }

    @Test("an error fails the waiter with its reason and closes; later events change nothing")
    func errorCaught() {
        var machine = streaming()
        let reset = UpstreamFailure.unreachable("connection reset by peer")
        #expect(machine.errorCaught(reset) == .fail(.body, reset, close: true))
        #expect(machine.state == .closed(reason: reset))
        #expect(machine.bodyReceived(ByteBuffer(string: "late")) == .none)
        #expect(machine.endReceived(now: t0) == .none)
        #expect(machine.errorCaught(.timedOut) == .none)
        #expect(machine.channelInactive() == .none)
    }

    @Test("a failed write closes; the exchange fails with an error caught meanwhile, else with the write's reason")
    func writeFails() {
        var withError = awaiting()
        #expect(withError.writeFailed(.unreachable("closed")) == .close)
        #expect(withError.errorCaught(.unreachable("certificate expired")) == .fail(.head, .unreachable("certificate expired"), close: true))

        var alone = awaiting()
        #expect(alone.writeFailed(.unreachable("broken pipe")) == .close)
        #expect(alone.writeFailed(.unreachable("closed")) == .close)
        #expect(alone.channelInactive() == .fail(.head, .unreachable("broken pipe"), close: false), "the first write failure is the reason")
    }

    @Test("an answer nobody asked for closes the connection, whether idle or mid-body")
    func unaskedAnswer() {
        var idleConnection = Machine(idleTimeout: idle)
        let unasked = UpstreamFailure.unreachable("the provider sent an answer that no request asked for")
        #expect(idleConnection.headReceived(head()) == .fail(.none, unasked, close: true))
        var midBody = streaming()
        #expect(midBody.headReceived(head()) == .fail(.body, unasked, close: true))
    }
}
