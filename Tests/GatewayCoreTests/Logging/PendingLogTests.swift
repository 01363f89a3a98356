import Foundation
import NIOCore
import Synchronization
import Testing

@testable import GatewayCore

/// A log in flight is finished exactly once, in one place, whichever way its request ends.
@Suite("Pending log: finished once, as its request ended")
struct PendingLogTests {
    final class Collected: LogSink {
        let records = Mutex<[LogRecord]>([])
        func submit(_ record: LogRecord) { records.withLock { $0.append(record) } }
        var all: [LogRecord] { records.withLock { $0 } }
    }

    func draft() -> LogRecord {
        var record = LogRecord(id: "01TEST", gatewayID: "g", provider: "openai", path: "chat/completions", createdAt: Date(), captureCap: 64)
        record.statusCode = 200
        record.success = true
        return record
    }

    @Test("a relayed answer keeps its capture; a problem on the way marks it failed; a second finish changes nothing")
    func relayed() {
        let sink = Collected()
        let log = PendingLog(draft(), sink: sink)
        log.finish(.relayed(BodyCapture(cap: 64, body: ByteBuffer(string: "partial")), problem: "the provider's answer broke off"), started: .now)
        log.finish(.relayed(BodyCapture(cap: 64), problem: nil), started: nil)
        log.update { $0.statusCode = 500 }
        #expect(sink.all.count == 1)
        #expect(sink.all.first?.success == false)
        #expect(sink.all.first?.error == "the provider's answer broke off")
        #expect(sink.all.first?.response.totalBytes == 7)
        #expect(sink.all.first?.statusCode == 200, "an update after the finish is not kept")
    }

    @Test("the gateway's own error: its status, message and JSON body are what the log keeps")
    func failed() {
        let sink = Collected()
        let log = PendingLog(draft(), sink: sink)
        let error = GatewayError.upstreamTimeout("openai", afterMilliseconds: 100)
        log.finish(.failed(error, body: ByteBuffer(bytes: error.body)), started: .now)
        let record = sink.all.first
        #expect(record?.statusCode == error.httpStatus)
        #expect(record?.success == false)
        #expect(record?.error == error.message)
        #expect(record?.responseContentType == "application/json")
        #expect(record?.response.totalBytes == error.body.count)
        #expect(record?.response.head == ByteBuffer(bytes: error.body.prefix(64)), "kept up to the capture's cap")
    }

    @Test("a log whose answer was dropped unsent is finished when it goes away, saying so")
    func neverSent() {
        let sink = Collected()
        do { _ = PendingLog(draft(), sink: sink) }
        #expect(sink.all.count == 1)
        #expect(sink.all.first?.success == false)
        #expect(sink.all.first?.error == "the answer was never sent to the client")
    }
}
