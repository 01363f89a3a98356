import Foundation
import Testing

/// The gateway's own HTTP/1.1 server (GatewayHTTPChannel and its handler), over raw connections.
@Suite("GatewayHTTPServer")
struct GatewayHTTPServerTests {
    static let chat = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#

    @Test("pipelined requests on one connection are answered in order, and Connection: close ends it")
    func pipelined() async throws {
        try await LiveServers.with { servers in
            let chat = Self.chat
            let chatRequest =
                "POST /v1/local/test-gw/openai/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(chat.utf8.count)\r\n"
            let requests =
                chatRequest + "\r\n\(chat)"
                + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                + chatRequest + "Connection: close\r\n\r\n\(chat)"
            let exchange = try await RawConnection.exchange(port: servers.gatewayPort, sending: requests)
            #expect(exchange.closed, "the server closes after the answer to the request that says Connection: close")
            let heads = exchange.received.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(heads == ["200", "200", "200"], "\(exchange.received)")
            let completion = try #require(exchange.received.range(of: "chat.completion"))
            let health = try #require(exchange.received.range(of: #"{"status":"ok"}"#))
            #expect(completion.lowerBound < health.lowerBound, "answers come in the order of their requests")
            #expect(try await servers.mockCount() == 2)
        }
    }

    @Test("a request HTTP/1.1 cannot parse is a 400, and the connection closes")
    func unparseable() async throws {
        try await LiveServers.with { servers in
            let exchange = try await RawConnection.exchange(
                port: servers.gatewayPort, sending: "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: twelve\r\n\r\n")
            #expect(exchange.status == 400, "\(exchange.received)")
            #expect(exchange.closed)
        }
    }

    @Test("every answer carries the gateway's Date, and a whole answer its Content-Length")
    func dateAndLength() async throws {
        try await LiveServers.with { servers in
            let answer = try await servers.send(.GET, "\(servers.gateway)/healthz")
            #expect(answer.headers["content-length"] == "15")
            let date = try #require(answer.headers["date"])
            #expect(date.hasSuffix(" GMT") && date.count == 29, "\(date)")
            let provider = try await servers.send(servers.url("openai/chat/completions"), headers: ["authorization": "Bearer sk-test"], body: Self.chat)
            #expect(provider.headers["date"] != nil)
            #expect(provider.headers["content-length"] == String(provider.body.utf8.count))
        }
    }
}
