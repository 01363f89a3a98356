import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import GatewayCore

/// The upstream request encoder: a whole request in one buffer, written at its end.
@Suite("Upstream request encoder: head and body go out as one write")
struct UpstreamRequestEncoderTests {
    func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(UpstreamRequestEncoder())
        return channel
    }

    func head(_ method: HTTPMethod = .POST, headers: HTTPHeaders = ["host": "example.com", "content-length": "2"])
        -> HTTPRequestHead
    {
        HTTPRequestHead(version: .http1_1, method: method, uri: "/v1/chat?x=1", headers: headers)
    }

    @Test("nothing is written before the end; then head and body together, and every write's promise succeeds")
    func oneWrite() throws {
        let channel = try channel()
        let headWritten = channel.eventLoop.makePromise(of: Void.self)
        let bodyWritten = channel.eventLoop.makePromise(of: Void.self)
        channel.write(HTTPClientRequestPart.head(head()), promise: headWritten)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: "{}"))), promise: bodyWritten)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        try channel.writeAndFlush(HTTPClientRequestPart.end(nil)).wait()
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: written) == "POST /v1/chat?x=1 HTTP/1.1\r\nhost: example.com\r\ncontent-length: 2\r\n\r\n{}")
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        try headWritten.futureResult.wait()
        try bodyWritten.futureResult.wait()
        _ = try channel.finish()
    }

    @Test("a request without body is its head alone")
    func headOnly() throws {
        let channel = try channel()
        channel.write(HTTPClientRequestPart.head(head(.GET, headers: ["host": "example.com"])), promise: nil)
        try channel.writeAndFlush(HTTPClientRequestPart.end(nil)).wait()
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: written) == "GET /v1/chat?x=1 HTTP/1.1\r\nhost: example.com\r\n\r\n")
        _ = try channel.finish()
    }

    @Test("a body or an end without a head is refused, and nothing is written")
    func outOfOrder() throws {
        let channel = try channel()
        #expect(throws: ChannelError.self) {
            try channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: "x")))).wait()
        }
        #expect(throws: ChannelError.self) { try channel.writeAndFlush(HTTPClientRequestPart.end(nil)).wait() }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        _ = try channel.finish()
    }
}
