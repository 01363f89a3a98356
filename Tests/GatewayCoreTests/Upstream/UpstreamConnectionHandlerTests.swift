import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import GatewayCore

/// The channel handler of an upstream connection, on an `EmbeddedChannel` whose clock the test
/// moves: what it writes, when it hands the answer over, when it reads, when it closes.
@Suite("Upstream connection handler on an embedded channel: writes, answers, reads held back, deadlines")
struct UpstreamConnectionHandlerTests {
    /// Counts the reads that reach the channel (it sits between the socket and the handler).
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Never
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    /// An open connection with its handler, the read counter, and how often it was offered back to its pool.
    final class Connection {
        let channel: EmbeddedChannel
        let handler: UpstreamConnection.Handler
        let reads = ReadCounter()
        var offeredBack = 0

        init(idleTimeout: TimeAmount = .seconds(60)) throws {
            channel = EmbeddedChannel()
            handler = UpstreamConnection.Handler(idleTimeout: idleTimeout)
            try channel.pipeline.syncOperations.addHandlers([reads, handler])
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
            handler.whenIdle { [unowned self] in self.offeredBack += 1 }
        }

        var loop: EmbeddedEventLoop { channel.embeddedEventLoop }

        /// Starts a request due in `timeout`; the result lands in the returned box.
        func send(body: String? = "{}", keepAlive: Bool = true, timeout: TimeAmount = .seconds(5)) throws -> Outcome {
            var headers: HTTPHeaders = ["content-type": "application/json"]
            if !keepAlive { headers.add(name: "connection", value: "close") }
            let request = UpstreamRequest(
                url: try UpstreamURL("http://provider.test:8080/v1/chat"), method: .POST, headers: headers,
                body: body.map { ByteBuffer(string: $0) })
            let promise = loop.makePromise(of: UpstreamResponse.self)
            let outcome = Outcome()
            promise.futureResult.whenComplete { outcome.result = $0 }
            handler.start(request, deadline: loop.now + timeout, promise: promise)
            return outcome
        }

        /// Delivers answer parts in one read.
        func receive(_ parts: HTTPClientResponsePart...) {
            for part in parts { channel.pipeline.fireChannelRead(part) }
            channel.pipeline.fireChannelReadComplete()
        }

        func written() throws -> [HTTPClientRequestPart] {
            var parts: [HTTPClientRequestPart] = []
            while let part = try channel.readOutbound(as: HTTPClientRequestPart.self) { parts.append(part) }
            return parts
        }
    }

    /// Where a request's result lands (the embedded loop runs callbacks at once).
    final class Outcome: @unchecked Sendable {  // touched only on the embedded loop, the test's own thread
        var result: Result<UpstreamResponse, any Error>?
        var response: UpstreamResponse? { try? result?.get() }
        var failure: UpstreamFailure? {
            guard case .failure(let error) = result else { return nil }
            return error as? UpstreamFailure
        }
    }

    static let okHead = HTTPResponseHead(version: .http1_1, status: .ok)

    @Test("the request goes out as head (with Host and Content-Length), body and end; a whole answer completes it and the connection is offered back")
    func wholeExchange() throws {
        let connection = try Connection()
        let outcome = try connection.send()
        let parts = try connection.written()
        #expect(parts.count == 3)
        guard case .head(let head) = parts.first else {
            Issue.record("no head written: \(parts)")
            return
        }
        #expect(head.uri == "/v1/chat")
        #expect(head.headers["host"] == ["provider.test:8080"])
        #expect(head.headers["content-length"] == ["2"])
        #expect(parts[1] == .body(.byteBuffer(ByteBuffer(string: "{}"))))
        #expect(parts[2] == .end(nil))
        #expect(outcome.result == nil, "nothing is handed over before the answer")

        connection.receive(.head(Self.okHead), .body(ByteBuffer(string: "ok")), .end(nil))
        #expect(outcome.response?.status == 200)
        #expect(outcome.response?.body.whole == ByteBuffer(string: "ok"))
        #expect(connection.offeredBack == 1)
        #expect(connection.channel.isActive)
    }

    @Test("a head whose body is still coming is handed over at the read's end; the body streams and ends")
    func streamedExchange() async throws {
        let connection = try Connection()
        let outcome = try connection.send()
        connection.receive(.head(Self.okHead), .body(ByteBuffer(string: "first")))
        let response = try #require(outcome.response)
        #expect(response.body.whole == nil)
        connection.receive(.body(ByteBuffer(string: "second")))
        connection.receive(.end(nil))
        #expect(connection.offeredBack == 1)
        var text = ""
        for try await part in response.body { text += String(buffer: part) }
        #expect(text == "firstsecond")
    }

    @Test("while the body's reader is behind, reads are held back; when it catches up, the held read is made")
    func readsHeldBack() async throws {
        let connection = try Connection()
        let outcome = try connection.send()
        connection.receive(.head(Self.okHead))
        let response = try #require(outcome.response)
        // More parts than the stream buffers (its high watermark is 16), nobody reading.
        for index in 0..<20 { connection.receive(.body(ByteBuffer(string: "\(index),"))) }
        let before = connection.reads.reads
        connection.channel.read()
        #expect(connection.reads.reads == before, "a read while the reader is behind is held")

        var parts = response.body.makeAsyncIterator()
        var text = ""
        for _ in 0..<20 { text += String(buffer: try #require(try await parts.next())) }
        connection.loop.run()  // the reader's demand reaches the connection on its loop
        #expect(connection.reads.reads == before + 1, "the held read is made once the reader wants more")
        #expect(text == (0..<20).map { "\($0)," }.joined())
        connection.receive(.end(nil))
        #expect(try await parts.next() == nil)
    }

    @Test("no head by the deadline: the request fails as timed out and the connection closes; not a moment before")
    func headDeadline() throws {
        let connection = try Connection()
        let outcome = try connection.send(timeout: .seconds(5))
        connection.loop.advanceTime(by: .milliseconds(4999))
        #expect(outcome.result == nil)
        #expect(connection.channel.isActive)
        connection.loop.advanceTime(by: .milliseconds(1))
        #expect(outcome.failure == .timedOut)
        #expect(!connection.channel.isActive)
    }

    @Test("an answered request's deadline passing later neither fails nor closes the kept connection; its idle time does")
    func deadlinesAfterAnswer() throws {
        let connection = try Connection(idleTimeout: .seconds(60))
        let outcome = try connection.send(timeout: .seconds(5))
        connection.receive(.head(Self.okHead), .end(nil))
        #expect(outcome.response?.status == 200)
        connection.loop.advanceTime(by: .seconds(30))
        #expect(connection.channel.isActive)

        // The next request on the kept connection, with a shorter deadline than the idle time left.
        let second = try connection.send(timeout: .seconds(1))
        connection.loop.advanceTime(by: .seconds(1))
        #expect(second.failure == .timedOut, "a shorter deadline than the alarm already set still rings on time")
        #expect(!connection.channel.isActive)
    }

    @Test("a kept connection left idle closes when its idle time passes")
    func idleClose() throws {
        let connection = try Connection(idleTimeout: .seconds(60))
        _ = try connection.send()
        connection.receive(.head(Self.okHead), .end(nil))
        connection.loop.advanceTime(by: .seconds(59))
        #expect(connection.channel.isActive)
        connection.loop.advanceTime(by: .seconds(1))
        #expect(!connection.channel.isActive)
    }

    @Test("an answer saying Connection: close, or a request that did, closes the connection after the answer")
    func closeAfterAnswer() throws {
        let byAnswer = try Connection()
        let outcome = try byAnswer.send()
        byAnswer.receive(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["connection": "close"])), .end(nil))
        #expect(outcome.response?.status == 200)
        #expect(!byAnswer.channel.isActive)
        #expect(byAnswer.offeredBack == 0)

        let byRequest = try Connection()
        _ = try byRequest.send(keepAlive: false)
        byRequest.receive(.head(Self.okHead), .end(nil))
        #expect(!byRequest.channel.isActive)
    }

    @Test("the provider closing mid-body makes the body throw; before the head, the request fails")
    func providerCloses() async throws {
        let midBody = try Connection()
        let outcome = try midBody.send()
        midBody.receive(.head(Self.okHead), .body(ByteBuffer(string: "partial")))
        let response = try #require(outcome.response)
        try await midBody.channel.close().get()
        await #expect(throws: UpstreamFailure.unreachable("the provider closed the connection")) {
            for try await _ in response.body {}
        }

        let beforeHead = try Connection()
        let waiting = try beforeHead.send()
        let reset = IOError(errnoCode: 104, reason: "read")  // ECONNRESET
        beforeHead.channel.pipeline.fireErrorCaught(reset)
        #expect(waiting.failure == .unreachable(UpstreamFailure.describe(reset)))
        #expect(!beforeHead.channel.isActive)
        #expect(try beforeHead.send().failure == waiting.failure, "a failed connection refuses the next request with the same reason")
    }

    @Test("a body dropped by its reader before its end closes the connection; an answer nobody asked for does too")
    func droppedBodyAndUnaskedAnswer() throws {
        let dropped = try Connection()
        var outcome: Outcome? = try dropped.send()
        dropped.receive(.head(Self.okHead), .body(ByteBuffer(string: "partial")))
        #expect(outcome?.response != nil)
        outcome = nil  // the answer and its body go away unread
        dropped.loop.run()
        #expect(!dropped.channel.isActive)

        let unasked = try Connection()
        unasked.receive(.head(Self.okHead))
        #expect(!unasked.channel.isActive)
    }
}
