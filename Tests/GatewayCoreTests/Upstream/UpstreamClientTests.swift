import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import TestSupport
import Testing

@testable import GatewayCore

/// The upstream client: keep-alive connections pooled per host within a limit, requests
/// in one write, answers handed over whole or streamed, and every way an upstream can fail
/// turned into a timeout, an unreachable provider or a broken body, never a hang.
@Suite("Upstream client: pooled keep-alive connections, whole and streamed answers, faults", .timeLimit(.minutes(1)))
struct UpstreamClientTests {
    static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    func request(_ port: Int, tls: Bool = false, body: String? = "{}") throws -> UpstreamRequest {
        UpstreamRequest(
            url: try UpstreamURL("\(tls ? "https" : "http")://localhost:\(port)/v1/chat?x=1"), method: .POST,
            headers: ["content-type": "application/json"], body: body.map { ByteBuffer(string: $0) })
    }

    /// How a call failed, or nil if it did not.
    func failure(_ call: () async throws -> UpstreamResponse) async -> UpstreamFailure? {
        do {
            _ = try await call()
            return nil
        } catch {
            return error as? UpstreamFailure ?? .unreachable("not an UpstreamFailure: \(error)")
        }
    }

    func text(_ body: UpstreamBody) async throws -> String {
        var text = ""
        for try await chunk in body { text += String(buffer: chunk) }
        return text
    }

    @Test("requests one after another share one connection; the request carries Host, length and body")
    func keepAlive() async throws {
        let seen = Mutex<[String]>([])
        let upstream = try await ScriptedUpstream.start { _, request in
            seen.withLock { $0.append(request) }
            return [.write(Self.ok)]
        }
        let client = try UpstreamClient(connectionsPerHost: 8)
        for _ in 0..<10 {
            let response = try await client.send(try request(upstream.port), timeout: .seconds(5))
            #expect(response.status == 200)
            #expect(response.body.whole.map { String(buffer: $0) } == "ok")
        }
        #expect(upstream.connections == 1)
        #expect(upstream.requests == 10)
        let first = seen.withLock { $0[0] }
        #expect(first.hasPrefix("POST /v1/chat?x=1 HTTP/1.1\r\n"))
        #expect(first.contains("host: localhost:\(upstream.port)\r\n"))
        #expect(first.contains("content-length: 2\r\n"))
        #expect(first.hasSuffix("\r\n\r\n{}"))
        try await upstream.stop()
    }

    @Test("a HEAD answer has no body though it gives a length; a GET goes without length or body; the connection serves both")
    func headAndGet() async throws {
        let seen = Mutex<[String]>([])
        let upstream = try await ScriptedUpstream.start { _, request in
            seen.withLock { $0.append(request) }
            return request.hasPrefix("HEAD ") ? [.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")] : [.write(Self.ok)]
        }
        let client = try UpstreamClient(connectionsPerHost: 8)
        for method in [HTTPMethod.HEAD, .GET, .HEAD] {
            var head = try request(upstream.port, body: nil)
            head.method = method
            let response = try await client.send(head, timeout: .seconds(5))
            #expect(response.status == 200)
            #expect(try await text(response.body) == (method == .HEAD ? "" : "ok"), "\(method)")
        }
        #expect(upstream.connections == 1)
        let get = seen.withLock { $0[1] }
        #expect(get == "GET /v1/chat?x=1 HTTP/1.1\r\nhost: localhost:\(upstream.port)\r\ncontent-type: application/json\r\n\r\n")
        try await upstream.stop()
    }

    @Test("concurrent requests beyond the per-host limit wait for a connection, and all are answered")
    func limitPerHost() async throws {
        let upstream = try await ScriptedUpstream.start { _, _ in [.pause(.milliseconds(20)), .write(Self.ok)] }
        let client = try UpstreamClient(connectionsPerHost: 2)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask { try await client.send(try request(upstream.port), timeout: .seconds(10)).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 20))
        #expect(upstream.connections <= 2)
        #expect(upstream.requests == 20)
        try await upstream.stop()
    }

    @Test("after a burst only the idle limit's connections stay open, the rest close; those kept serve what follows")
    func idleLimit() async throws {
        let upstream = try await ScriptedUpstream.start { _, _ in [.pause(.milliseconds(50)), .write(Self.ok)] }
        let client = try UpstreamClient(connectionsPerHost: 16, idleConnectionsPerHost: 3)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<12 {
                group.addTask { try await client.send(try request(upstream.port), timeout: .seconds(10)).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 12))
        await upstream.wait { $0.closed >= 9 }
        #expect(upstream.connections == 12)
        #expect(upstream.closedConnections == 9)
        for _ in 0..<3 { #expect(try await client.send(try request(upstream.port), timeout: .seconds(10)).status == 200) }
        #expect(upstream.connections == 12)
        try await upstream.stop()
    }

    @Test("a request waiting for a connection at the limit can be cancelled; the connection then serves the next one")
    func cancelledWaiter() async throws {
        let upstream = try await ScriptedUpstream.start { index, _ in index == 0 ? [.gate, .write(Self.ok)] : [.write(Self.ok)] }
        let client = try UpstreamClient(connectionsPerHost: 1)
        let holding = Task { try await client.send(try request(upstream.port), timeout: .seconds(30)) }
        await upstream.wait { $0.requests >= 1 }
        let waiting = Task { try await client.send(try request(upstream.port), timeout: .seconds(30)) }
        #expect(await eventually { client.pool.waitingRequests == 1 })
        waiting.cancel()
        let waited = await waiting.result
        guard case .failure(let error) = waited, case .cancelled? = error as? UpstreamFailure else {
            Issue.record("expected cancellation, got \(waited)")
            return
        }
        upstream.openGate()
        #expect(try await holding.value.status == 200)
        #expect(try await client.send(try request(upstream.port), timeout: .seconds(5)).status == 200)
        #expect(upstream.connections == 1)
        #expect(upstream.requests == 2)
        try await upstream.stop()
    }

    @Test("an answer with Connection: close, or a connection the provider closed, is not used again")
    func closedConnectionsAreNotReused() async throws {
        let upstream = try await ScriptedUpstream.start { index, _ in
            index == 0
                ? [.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"), .close]
                : [.write(Self.ok)]
        }
        let client = try UpstreamClient(connectionsPerHost: 8)
        for _ in 0..<3 {
            #expect(try await client.send(try request(upstream.port), timeout: .seconds(5)).status == 200)
        }
        #expect(upstream.connections == 3)

        // A keep-alive answer whose connection the provider then drops while it is idle.
        let dropping = try await ScriptedUpstream.start { _, _ in [.write(Self.ok), .pause(.milliseconds(10)), .close] }
        for _ in 0..<3 {
            #expect(try await client.send(try request(dropping.port), timeout: .seconds(5)).status == 200)
            // The gateway's side has seen the close once the pool holds no open connection.
            #expect(await eventually { client.pool.openConnections == 0 })
        }
        #expect(dropping.connections == 3)
        try await upstream.stop()
        try await dropping.stop()
    }

    @Test("an answer still arriving streams chunk by chunk and ends; one that came whole is handed over whole")
    func streamedAndWhole() async throws {
        let upstream = try await ScriptedUpstream.start { index, _ in
            index == 0
                ? [
                    .write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n"), .gate,
                    .write("6\r\nsecond\r\n0\r\n\r\n"),
                ]
                : [.write("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n0\r\n\r\n")]
        }
        let client = try UpstreamClient(connectionsPerHost: 8)
        let streamed = try await client.send(try request(upstream.port), timeout: .seconds(5))
        #expect(streamed.body.whole == nil)
        var chunks = streamed.body.makeAsyncIterator()
        #expect(try await chunks.next().map { String(buffer: $0) } == "first")
        upstream.openGate()
        #expect(try await chunks.next().map { String(buffer: $0) } == "second")
        #expect(try await chunks.next() == nil)

        let whole = try await client.send(try request(upstream.port), timeout: .seconds(5))
        #expect(whole.status == 201)
        #expect(whole.body.whole.map { String(buffer: $0) } == "one")
        #expect(upstream.connections == 1)
        try await upstream.stop()
    }

    @Test("an informational 100 Continue before the answer is passed over")
    func informational() async throws {
        let upstream = try await ScriptedUpstream.start { _, _ in
            [.write("HTTP/1.1 100 Continue\r\n\r\n"), .pause(.milliseconds(5)), .write(Self.ok)]
        }
        let client = try UpstreamClient(connectionsPerHost: 8)
        let response = try await client.send(try request(upstream.port), timeout: .seconds(5))
        #expect(response.status == 200)
        #expect(try await text(response.body) == "ok")
        try await upstream.stop()
    }

    @Test("a large answer arrives whole and in order over many reads (reads held back for a slow reader: UpstreamConnectionHandlerTests)")
    func backpressure() async throws {
        let chunk = String(repeating: "x", count: 64 * 1024 - 1) + "\n"
        let body = String(repeating: chunk, count: 64)  // 4 MiB
        let upstream = try await ScriptedUpstream.start { _, _ in
            [.write("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n"), .pause(.milliseconds(5)), .write(body)]
        }
        let client = try UpstreamClient(connectionsPerHost: 8)
        let response = try await client.send(try request(upstream.port), timeout: .seconds(5))
        var received = 0
        var last: UInt8?
        for try await part in response.body {
            received += part.readableBytes
            last = part.readableBytesView.last
        }
        #expect(received == body.utf8.count)
        #expect(last == UInt8(ascii: "\n"))
        // The connection is whole afterwards: the next request reuses it.
        #expect(try await client.send(try request(upstream.port), timeout: .seconds(5)).status == 200)
        #expect(upstream.connections == 1)
        try await upstream.stop()
    }

    @Test("a body that breaks off throws instead of ending short")
    func brokenBody() async throws {
        let upstream = try await ScriptedUpstream.start { _, _ in
            [.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"), .pause(.milliseconds(20)), .close]
        }
        let client = try UpstreamClient(connectionsPerHost: 8)
        let response = try await client.send(try request(upstream.port), timeout: .seconds(5))
        await #expect(throws: (any Error).self) { _ = try await text(response.body) }
        try await upstream.stop()
    }

    @Test("no head before the deadline: a timeout, and the connection is closed")
    func timeout() async throws {
        let upstream = try await ScriptedUpstream.start { _, _ in [] }
        let client = try UpstreamClient(connectionsPerHost: 8)
        let failed = await failure { try await client.send(try request(upstream.port), timeout: .milliseconds(200)) }
        #expect(failed == .timedOut)
        await upstream.wait { $0.closed >= 1 }
        #expect(upstream.closedConnections == 1)
        try await upstream.stop()
    }

    @Test("a kept-alive connection closes after its idle time, and the next request opens another")
    func idleClose() async throws {
        let upstream = try await ScriptedUpstream.start { _, _ in [.write(Self.ok)] }
        let client = try UpstreamClient(connectionsPerHost: 8, idleTimeout: .milliseconds(300))
        _ = try await client.send(try request(upstream.port), timeout: .seconds(60))
        await upstream.wait { $0.closed >= 1 }
        #expect(upstream.closedConnections == 1)
        _ = try await client.send(try request(upstream.port), timeout: .seconds(60))
        #expect(upstream.connections == 2)
        try await upstream.stop()
    }

    @Test("on a kept-alive connection, a shorter deadline than the last one's still times out on time")
    func shorterDeadlineOnReusedConnection() async throws {
        let upstream = try await ScriptedUpstream.start { index, _ in index == 0 ? [.write(Self.ok)] : [] }
        let client = try UpstreamClient(connectionsPerHost: 8)
        _ = try await client.send(try request(upstream.port), timeout: .seconds(120))
        let started = ContinuousClock.now
        let failed = await failure { try await client.send(try request(upstream.port), timeout: .milliseconds(200)) }
        #expect(failed == .timedOut)
        #expect(upstream.connections == 1)
        // Bounded loosely: the point is that it did not wait for the first request's 120 s.
        #expect(ContinuousClock.now - started < .seconds(60))
        try await upstream.stop()
    }

    @Test("a cancelled request ends at once and closes its connection")
    func cancelled() async throws {
        let upstream = try await ScriptedUpstream.start { _, _ in [] }
        let client = try UpstreamClient(connectionsPerHost: 8)
        let call = Task { try await client.send(try request(upstream.port), timeout: .seconds(60)) }
        await upstream.wait { $0.requests >= 1 }
        call.cancel()
        let outcome = await call.result
        guard case .failure(let error) = outcome, case .cancelled? = error as? UpstreamFailure else {
            Issue.record("expected cancellation, got \(outcome)")
            return
        }
        await upstream.wait { $0.closed >= 1 }
        #expect(upstream.closedConnections == 1)
        try await upstream.stop()
    }

    @Test("nobody listening: unreachable, saying the connection was refused")
    func refused() async throws {
        // A port bound and never listened on: nobody answers, and no server that other tests
        // start meanwhile can take it (a port merely freed could be bound again by one).
        let socket = try BoundPort()
        defer { socket.close() }
        let client = try UpstreamClient(connectionsPerHost: 8)
        let failed = await failure { try await client.send(try request(socket.port), timeout: .seconds(5)) }
        #expect(failed == .unreachable("connection refused"))
    }

    @Test("TLS: a provider whose certificate is trusted is reached; an untrusted one is refused")
    func tls() async throws {
        let upstream = try await ScriptedUpstream.start(tls: (TestCertificate.pem, TestCertificate.key)) { _, _ in
            [.write(Self.ok)]
        }
        let trusting = try UpstreamClient(
            connectionsPerHost: 8,
            trustRoots: .certificates([try NIOSSLCertificate(bytes: Array(TestCertificate.pem.utf8), format: .pem)]))
        let response = try await trusting.send(try request(upstream.port, tls: true), timeout: .seconds(5))
        #expect(response.status == 200)
        #expect(response.body.whole.map { String(buffer: $0) } == "ok")

        let systemRootsOnly = try UpstreamClient(connectionsPerHost: 8)
        let failed = await failure {
            try await systemRootsOnly.send(try request(upstream.port, tls: true), timeout: .seconds(5))
        }
        guard case .unreachable(let reason) = failed else {
            Issue.record("an untrusted certificate was not refused: \(String(describing: failed))")
            return
        }
        #expect(reason.lowercased().contains("certificate") || reason.contains("handshake"), "\(reason)")
        try await upstream.stop()
    }

    @Test("URLs: scheme, host, port and target; bad ones are refused")
    func urls() throws {
        let plain = try UpstreamURL("http://127.0.0.1:9300/v1/chat/completions?x=1#frag")
        #expect(plain.endpoint == .init(tls: false, host: "127.0.0.1", port: 9300))
        #expect(plain.target == "/v1/chat/completions?x=1")
        #expect(plain.hostHeader == "127.0.0.1:9300")
        let secure = try UpstreamURL("https://api.openai.com")
        #expect(secure.endpoint == .init(tls: true, host: "api.openai.com", port: 443))
        #expect(secure.target == "/")
        #expect(secure.hostHeader == "api.openai.com")
        let v6 = try UpstreamURL("http://[::1]:8080/x")
        #expect(v6.endpoint == .init(tls: false, host: "::1", port: 8080))
        #expect(v6.hostHeader == "[::1]:8080")
        for bad in ["ftp://host/x", "http://", "http://user@host/x", "http://host:0/x", "http://host:99999/", "http://host:x/"] {
            #expect(throws: UpstreamFailure.self, "\(bad)") { try UpstreamURL(bad) }
        }
    }
}

/// A self-signed certificate for `localhost` (P-256, valid until 2126), for the TLS test only.
enum TestCertificate {
    static let pem = """
        -----BEGIN CERTIFICATE-----
        MIIBlTCCATugAwIBAgIUKvDUym5n7tL5FXK4ZqBqSVH9tPYwCgYIKoZIzj0EAwIw
        FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEzMDE5MTAyMVoYDzIxMjYxMTA2
        MTkxMDIxWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
        PQMBBwNCAASvNUBFizPxfGDKAoNzvexhjwxVS8wFPCBX/JwEoiJlIDko2n0xqS7j
        14oOqDITr52NPayeTiJsJV1vTRZw9jWTo2kwZzAdBgNVHQ4EFgQUu/F9vzcFuLJ4
        zvD7NStYZYtXRpMwHwYDVR0jBBgwFoAUu/F9vzcFuLJ4zvD7NStYZYtXRpMwDwYD
        VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwID
        SAAwRQIhANOROPjE0I3yGp6WPZBojQxf1NEGLOiEK/PKSah5DWTYAiAuM3qh3SpL
        KvFK+E+zn79wzMrPxmM1hHLpXVA1MIGEbA==
        -----END CERTIFICATE-----
        """
    static let key = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgkmqDDPIre43NU6ZQ
        StfHpbdE032g1tWO5cInjAT6JVihRANCAASvNUBFizPxfGDKAoNzvexhjwxVS8wF
        PCBX/JwEoiJlIDko2n0xqS7j14oOqDITr52NPayeTiJsJV1vTRZw9jWT
        -----END PRIVATE KEY-----
        """
}
