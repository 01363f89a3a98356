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

    @Test(
        "a head with a byte HTTP forbids is refused whole: its write, the body's and the end's fail and nothing goes out",
        arguments: [
            ("/v1/chat HTTP/1.1\r\nHost: x\r\n\r\nGET /other", "the request target"),
            ("/v1/a b", "the request target"),
            ("/v1/\u{0}", "the request target"),
            ("/v1/ｃｈａｔ", "the request target"),
            ("", "the request target"),
        ])
    func forbiddenTarget(target: String, place: String) throws {
        let channel = try channel()
        let request = HTTPRequestHead(version: .http1_1, method: .POST, uri: target, headers: ["host": "example.com"])
        try expectRefused(request, place: place, on: channel)
    }

    @Test("CR, LF or NUL in a header value, or a header name that is no token, is refused")
    func forbiddenHeaders() throws {
        for (name, value, place) in [
            ("x-api-key", "k\r\nx-injected: 1", "the value of header 'x-api-key'"),
            ("x-api-key", "k\nx", "the value of header 'x-api-key'"),
            ("x-api-key", "k\u{0}", "the value of header 'x-api-key'"),
            ("bad name", "v", "a header name"),
            ("bad:name", "v", "a header name"),
        ] {
            let channel = try channel()
            var request = head(.POST, headers: ["host": "example.com"])
            request.headers.add(name: name, value: value)
            try expectRefused(request, place: place, on: channel)
        }
        // A tab and bytes over 0x7F (obs-text) are allowed in values.
        let channel = try channel()
        channel.write(HTTPClientRequestPart.head(head(.GET, headers: ["host": "example.com", "x-a": "a\tb é"])), promise: nil)
        try channel.writeAndFlush(HTTPClientRequestPart.end(nil)).wait()
        #expect(try channel.readOutbound(as: ByteBuffer.self) != nil)
        _ = try channel.finish()
    }

    @Test("a method that is no token is refused")
    func forbiddenMethod() throws {
        let request = HTTPRequestHead(version: .http1_1, method: .RAW(value: "GET /x HTTP/1.1\r\n"), uri: "/", headers: [:])
        try expectRefused(request, place: "the method", on: try channel())
    }

    func expectRefused(_ request: HTTPRequestHead, place: String, on channel: EmbeddedChannel) throws {
        let refusal = UpstreamRequestEncoder.ForbiddenBytes(place: place)
        #expect(throws: refusal) { try channel.writeAndFlush(HTTPClientRequestPart.head(request)).wait() }
        #expect(throws: refusal) {
            try channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: "{}")))).wait()
        }
        #expect(throws: refusal) { try channel.writeAndFlush(HTTPClientRequestPart.end(nil)).wait() }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        // The next request on the encoder is written as usual.
        channel.write(HTTPClientRequestPart.head(head(.GET, headers: ["host": "example.com"])), promise: nil)
        try channel.writeAndFlush(HTTPClientRequestPart.end(nil)).wait()
        #expect(try channel.readOutbound(as: ByteBuffer.self) != nil)
        _ = try channel.finish()
    }
}
