import Foundation
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import PropertyBased
import TestSupport
import Testing

@testable import GatewayServer

/// Fuzzing the gateway's own HTTP/1.1 server: what a client sends (any bytes, through a real
/// listening gateway) and what the server writes back (any answer head).
@Suite("Fuzz: the gateway's HTTP/1.1 server")
struct ClientBytesFuzzTests {
    static let requestPieces = [
        "GET ", "POST ", "HEAD ", "BREW ", "/v1/local/test-gw/openai/chat/completions", "/healthz", "/client/v4/", " HTTP/1.1\r\n",
        " HTTP/1.0\r\n", "Host: x\r\n", "Content-Length: 2\r\n", "Content-Length: -1\r\n", "Content-Length: 99999999999\r\n",
        "Transfer-Encoding: chunked\r\n", "Connection: close\r\n", "Connection: keep-alive\r\n", "Expect: 100-continue\r\n",
        "Upgrade: websocket\r\n", "Authorization: Bearer sk-test\r\n", "\r\n", "{}", "2\r\n{}\r\n", "0\r\n\r\n", "X: y\r\n",
        " folded\r\n", "http://x", "?a=b",
    ]

    @Test("any bytes from a client end in answers and a close (or the deadline's close), never a crash or a hang")
    func anyClientBytes() async throws {
        try await LiveServers.with(configure: { configuration in
            configuration.clients.headTimeoutMs = 100
            configuration.clients.bodyIdleTimeoutMs = 100
            configuration.clients.keepAliveTimeoutMs = 100
        }) { servers in
            // Each case is a connection: a tenth of the text parsers' count keeps the run short.
            await propertyCheck(
                count: max(1, FuzzInputs.count / 10), input: FuzzInputs.bytes(Self.requestPieces, length: 0...12)
            ) { bytes in
                let exchange = try! await RawConnection.exchange(port: servers.gatewayPort, sending: bytes)
                #expect(exchange.closed, "\(String(decoding: bytes, as: UTF8.self)) got \(exchange.received)")
                // Whatever came back is whole answers: each begins with a status line.
                if !exchange.received.isEmpty {
                    #expect(exchange.received.hasPrefix("HTTP/1.1 "), "\(exchange.received)")
                }
            }
            // And the gateway still answers.
            let health = try await servers.send(.GET, "\(servers.gateway)/healthz")
            #expect(health.status == 200)
        }
    }

    static let fieldPieces = ["a", "x-y", "content-type", "set-cookie", "transfer-encoding", "connection", "content-length"]

    // (1xx heads are not answers a client keeps: the gateway never sends one of its own.)
    @Test("any answer head encodes to exactly one head that HTTP/1.1 reads back with the same fields, and its body")
    func anyAnswerHead() async throws {
        await propertyCheck(
            count: FuzzInputs.count, input: FuzzInputs.text(["v", " ", "close", "chunked", "2"], length: 0...6),
            Gen.int(in: 0...(Self.fieldPieces.count - 1)), Gen.int(in: 200...599)
        ) { value, nameIndex, code in
            var fields = HTTPFields()
            fields.append(HTTPField(name: HTTPField.Name(Self.fieldPieces[nameIndex])!, value: value))
            fields[.contentLength] = nil
            let head = HTTPResponse(status: .init(code: code), headerFields: fields)
            var bytes = ByteBuffer()
            let framing = AnswerEncoder.writeHead(head, answeringHEAD: false, into: &bytes)
            switch framing {
            case .bodiless: break
            case .length: Issue.record("no Content-Length was given")
            case .chunked: bytes.writeString("2\r\nok\r\n0\r\n\r\n")
            }

            let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPResponseDecoder()))
            // The decoder answers a request it has seen go out.
            try! channel.writeOutbound(HTTPClientRequestPart.head(.init(version: .http1_1, method: .GET, uri: "/")))
            try! channel.writeInbound(bytes)
            var parts: [HTTPClientResponsePart] = []
            while let part = try! channel.readInbound(as: HTTPClientResponsePart.self) { parts.append(part) }
            guard case .head(let decoded) = parts.first else {
                Issue.record("no head in \(String(buffer: bytes))")
                return
            }
            #expect(Int(decoded.status.code) == code)
            // HTTP/1.1 readers drop the whitespace around a value.
            let expected = fields.filter { $0.name != .transferEncoding }.map {
                "\($0.name.rawName): \($0.value.trimmingCharacters(in: .init(charactersIn: " \t")))"
            }
            let got = decoded.headers.filter { $0.name.lowercased() != "transfer-encoding" }.map { "\($0.name): \($0.value)" }
            #expect(got == expected, "\(String(buffer: bytes))")
            let heads = parts.filter { if case .head = $0 { true } else { false } }
            #expect(heads.count == 1)
            if framing == .chunked {
                let body = parts.compactMap { if case .body(let b) = $0 { String(buffer: b) } else { nil } }.joined()
                #expect(body == "ok")
                #expect(decoded.headers["transfer-encoding"] == ["chunked"])
            }
            _ = try? channel.finish()
        }
    }

    @Test("an absolute-form target keeps its path and query; an origin-form one is as sent", arguments: [
        ("/v1/a?b=c", "/v1/a?b=c"), ("http://x/v1/a?b=c", "/v1/a?b=c"), ("http://x", "/"), ("http://x?q", "/?q"),
        ("https://user@x:1/p", "/p"), ("*", "*"),
    ])
    func originForm(target: String, expected: String) {
        #expect(GatewayHTTPHandler.originForm(target) == expected)
    }
}
