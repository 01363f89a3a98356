import NIOCore
import Testing

@testable import GatewayServer

/// One connection's exchanges, driven event by event without a socket.
@Suite("ClientExchangeStateMachine")
struct ClientExchangeStateMachineTests {
    typealias Machine = ClientExchangeStateMachine

    @Test("a request read whole is answered at its head, its body handed over at its end, and the connection kept")
    func wholeRequest() {
        var machine = Machine(maxBodyBytes: 100)
        #expect(machine.headReceived(declaredLength: 7, keepAlive: true) == .startAnswer(body: nil))
        #expect(machine.bodyReceived(ByteBuffer(string: "{\"a\"")) == .none)
        #expect(machine.bodyReceived(ByteBuffer(string: ":1}")) == .none)
        #expect(machine.endReceived() == .deliverBody(.complete(ByteBuffer(string: "{\"a\":1}"))))
        #expect(!machine.isIdle)
        #expect(machine.answerEnded(closeAfter: false) == .none)
        #expect(machine.isIdle)
        // The next request on the same connection starts afresh.
        #expect(machine.headReceived(declaredLength: nil, keepAlive: true) == .startAnswer(body: nil))
        #expect(machine.endReceived() == .deliverBody(.complete(ByteBuffer())))
    }

    @Test("a body declared over the limit is refused at the head; the connection closes after the answer, unread")
    func declaredTooLarge() {
        var machine = Machine(maxBodyBytes: 100)
        #expect(machine.headReceived(declaredLength: 101, keepAlive: true) == .startAnswer(body: .tooLarge))
        #expect(machine.bodyReceived(ByteBuffer(repeating: 0, count: 50)) == .none)
        #expect(machine.answerEnded(closeAfter: false) == .close)
    }

    @Test("a body that grows past the limit is refused as the part that passes it arrives")
    func growsTooLarge() {
        var machine = Machine(maxBodyBytes: 100)
        #expect(machine.headReceived(declaredLength: nil, keepAlive: true) == .startAnswer(body: nil))
        #expect(machine.bodyReceived(ByteBuffer(repeating: 0, count: 100)) == .none)
        #expect(machine.bodyReceived(ByteBuffer(repeating: 0, count: 1)) == .deliverBody(.tooLarge))
        #expect(machine.bodyReceived(ByteBuffer(repeating: 0, count: 1000)) == .none)
        #expect(machine.endReceived() == .none)
        #expect(machine.answerEnded(closeAfter: false) == .close)
    }

    @Test("an answer made before the body (a refusal) abandons it; the rest is dropped and the connection kept")
    func answeredBeforeBody() {
        var machine = Machine(maxBodyBytes: 100)
        #expect(machine.headReceived(declaredLength: 60, keepAlive: true) == .startAnswer(body: nil))
        #expect(machine.bodyReceived(ByteBuffer(repeating: 0, count: 30)) == .none)
        #expect(machine.answerEnded(closeAfter: false) == .deliverBody(.abandoned))
        #expect(machine.bodyReceived(ByteBuffer(repeating: 0, count: 30)) == .none)
        #expect(!machine.isIdle)
        #expect(machine.endReceived() == .none)
        #expect(machine.isIdle)
    }

    @Test("a dropped body that runs past the limit closes the connection")
    func droppedBodyTooLong() {
        var machine = Machine(maxBodyBytes: 100)
        _ = machine.headReceived(declaredLength: nil, keepAlive: true)
        #expect(machine.answerEnded(closeAfter: false) == .deliverBody(.abandoned))
        #expect(machine.bodyReceived(ByteBuffer(repeating: 0, count: 100)) == .none)
        #expect(machine.bodyReceived(ByteBuffer(repeating: 0, count: 1)) == .close)
    }

    @Test("Connection: close on the request or on the answer closes after the answer")
    func connectionClose() {
        var asked = Machine(maxBodyBytes: 100)
        _ = asked.headReceived(declaredLength: nil, keepAlive: false)
        _ = asked.endReceived()
        #expect(asked.answerEnded(closeAfter: false) == .close)

        var answered = Machine(maxBodyBytes: 100)
        _ = answered.headReceived(declaredLength: nil, keepAlive: true)
        _ = answered.endReceived()
        #expect(answered.answerEnded(closeAfter: true) == .close)
    }

    @Test("a client that goes away mid-body abandons the body; once closed, nothing more happens")
    func clientGoesAway() {
        var machine = Machine(maxBodyBytes: 100)
        _ = machine.headReceived(declaredLength: 50, keepAlive: true)
        _ = machine.bodyReceived(ByteBuffer(repeating: 0, count: 10))
        #expect(machine.connectionClosed() == .deliverBody(.abandoned))
        #expect(machine.connectionClosed() == .none)
        #expect(machine.endReceived() == .none)
        #expect(machine.answerEnded(closeAfter: false) == .none)
    }

    @Test("a client that half-closes: idle, the connection closes; waiting, its answer is written and then it closes")
    func inputClosed() {
        var idle = Machine(maxBodyBytes: 100)
        #expect(idle.inputClosed() == .close)

        var waiting = Machine(maxBodyBytes: 100)
        _ = waiting.headReceived(declaredLength: nil, keepAlive: true)
        _ = waiting.endReceived()
        #expect(waiting.inputClosed() == .none)
        #expect(waiting.answerEnded(closeAfter: false) == .close)

        var midBody = Machine(maxBodyBytes: 100)
        _ = midBody.headReceived(declaredLength: 50, keepAlive: true)
        #expect(midBody.inputClosed() == .deliverBody(.abandoned))
        #expect(midBody.answerEnded(closeAfter: false) == .close)
    }

    @Test("a head in mid-exchange breaks HTTP/1.1's order and closes the connection")
    func headMidExchange() {
        var machine = Machine(maxBodyBytes: 100)
        _ = machine.headReceived(declaredLength: nil, keepAlive: true)
        #expect(machine.headReceived(declaredLength: nil, keepAlive: true) == .close)
    }
}
