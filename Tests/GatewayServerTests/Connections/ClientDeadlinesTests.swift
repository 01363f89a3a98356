import NIOCore
import Testing

@testable import GatewayServer

@Suite("Client deadlines: what a client may take to send a request, as a state machine")
struct ClientDeadlinesTests {
    let limits = ClientDeadlines.Limits(
        head: .seconds(30), bodyIdle: .seconds(10), body: .seconds(60), keepAlive: .seconds(75))
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    @Test("a new connection must send a whole head within the head timeout")
    func headTimeout() {
        var machine = ClientDeadlines(limits: limits, openedAt: start)
        #expect(machine.opened() == .armAlarm(at(30)))
        #expect(machine.alarmFired(now: at(29)) == .armAlarm(at(30)))
        #expect(machine.alarmFired(now: at(30)) == .close(reason: "no complete request head within 30 s"))
        #expect(machine.state == .closed)
    }

    @Test("a body must keep coming: the idle deadline moves with each read, the whole-body deadline does not")
    func bodyTimeouts() {
        var machine = ClientDeadlines(limits: limits, openedAt: start)
        #expect(machine.headReceived(now: at(1)) == .armAlarm(at(11)))
        #expect(machine.bodyReceived(now: at(9)) == .none)
        // The alarm set for 11 rings early and is moved to the new idle deadline.
        #expect(machine.alarmFired(now: at(11)) == .armAlarm(at(19)))
        #expect(machine.alarmFired(now: at(19)) == .close(reason: "the request body paused for longer than 10 s"))

        var dripping = ClientDeadlines(limits: limits, openedAt: start)
        _ = dripping.headReceived(now: at(0))
        for second in stride(from: Int64(5), through: 60, by: 5) { _ = dripping.bodyReceived(now: at(second)) }
        #expect(dripping.deadline == at(60))
        #expect(dripping.alarmFired(now: at(60)) == .close(reason: "the request body took longer than 60 s"))
    }

    @Test("while the gateway answers nothing is timed; after the answer the keep-alive timeout runs")
    func answeringAndKeepAlive() {
        var machine = ClientDeadlines(limits: limits, openedAt: start)
        _ = machine.headReceived(now: at(1))
        #expect(machine.requestEnded() == .none)
        #expect(machine.deadline == nil)
        #expect(machine.alarmFired(now: at(500)) == .none)
        #expect(machine.answerEnded(now: at(600), closeAfter: false) == .armAlarm(at(675)))
        #expect(machine.headReceived(now: at(670)) == .armAlarm(at(680)))
        _ = machine.requestEnded()
        _ = machine.answerEnded(now: at(700), closeAfter: false)
        #expect(machine.alarmFired(now: at(775)) == .close(reason: "no request within the keep-alive timeout (75 s)"))
    }

    @Test("pipelined requests: the keep-alive timeout starts only when every answer is sent")
    func pipelined() {
        var machine = ClientDeadlines(limits: limits, openedAt: start)
        _ = machine.headReceived(now: at(1))
        _ = machine.requestEnded()
        _ = machine.headReceived(now: at(1))
        _ = machine.requestEnded()
        #expect(machine.state == .answering(answersOwed: 2))
        #expect(machine.answerEnded(now: at(2), closeAfter: false) == .none)
        #expect(machine.answerEnded(now: at(3), closeAfter: false) == .armAlarm(at(78)))
    }

    @Test("an answer that says Connection: close closes the connection, even with its body unread")
    func closeAfterAnswer() {
        var machine = ClientDeadlines(limits: limits, openedAt: start)
        _ = machine.headReceived(now: at(1))
        #expect(machine.answerEnded(now: at(1), closeAfter: true) == .close(reason: "the answer said Connection: close"))
        #expect(machine.state == .closed)
        #expect(machine.alarmFired(now: at(1000)) == .none)
    }
}
