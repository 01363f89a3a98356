import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

@Suite("Streaming: chunks are relayed as they arrive, never buffered whole")
struct StreamingRelayTests {
    @Test("the client receives the first chunk while the upstream still withholds the second")
    func firstChunkBeforeSecondExists() async throws {
        try await LiveServers.with { servers in
            let gate = UUID().uuidString
            let request = servers.streamingRequest("openai/chat/completions", headers: ["x-mock-gate": gate])
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)
            var chunks = response.body.makeAsyncIterator()

            // The mock sends one event and then waits for the gate. A gateway that buffered
            // the stream would deliver nothing until the watchdog opens the gate, 20 s later,
            // and the test would fail on `watchdogFired`.
            let watchdogFired = Mutex(false)
            let watchdog = Task {
                try await Task.sleep(for: .seconds(20))
                watchdogFired.withLock { $0 = true }
                _ = try await servers.send(.POST, "\(servers.mock)/_mock/release/\(gate)")
            }
            let first = try await chunks.next()
            let fired = watchdogFired.withLock { $0 }
            watchdog.cancel()
            #expect(!fired, "the first chunk arrived only after the upstream sent the second")
            let firstText = try #require(first.map { String(buffer: $0) }, "no chunk arrived while the gate was closed")
            #expect(firstText.hasPrefix("data: "))
            #expect(!firstText.contains("[DONE]"))

            _ = try await servers.send(.POST, "\(servers.mock)/_mock/release/\(gate)")
            var rest = ""
            while let chunk = try await chunks.next() { rest += String(buffer: chunk) }
            #expect(rest.hasSuffix("data: [DONE]\n\n"))
        }
    }

    @Test("a long stream with delays between chunks arrives whole and is logged")
    func delayedChunks() async throws {
        try await LiveServers.with { servers in
            let answer = try await servers.send(
                servers.url("anthropic/v1/messages"), headers: ["x-mock-chunks": "20", "x-mock-chunk-delay-ms": "5"],
                body: #"{"model":"claude","stream":true,"max_tokens":5,"messages":[]}"#)
            #expect(answer.status == 200)
            #expect(answer.body.components(separatedBy: "content_block_delta\ndata").count == 21)
            let log = try #require(try await servers.storedLog(answer.logID))
            #expect(log.tokensOut == 9)
            #expect(log.responseSize == answer.body.utf8.count)
        }
    }
}

@Suite("Client disconnects")
struct ClientDisconnectTests {
    /// Waits (a bounded while) until the mock has no answer open, then says how many were abandoned.
    func mockSettles(_ servers: LiveServers) async throws -> (open: Int, abandoned: Int) {
        var stats = try await servers.mockOpenAndAbandoned()
        _ = try await eventually {
            stats = try await servers.mockOpenAndAbandoned()
            return stats.open == 0
        }
        return stats
    }

    @Test("a client that leaves before the provider answers cancels the upstream call; the log says 499")
    func clientGoneBeforeHead() async throws {
        try await LiveServers.with { servers in
            let request = servers.streamingRequest("openai/chat/completions", headers: ["x-mock-hang": "true"])
            let client = Task { try await HTTPClient.shared.execute(request, timeout: .seconds(60)) }
            // Once the provider holds the request, the client leaves.
            let happened = try await eventually { try await servers.mockOpenAndAbandoned().open > 0 }
            #expect(happened)
            client.cancel()
            await #expect(throws: (any Error).self) { _ = try await client.value }
            // The mock's hanging answer ends because its caller (the gateway) went away.
            let stats = try await mockSettles(servers)
            #expect(stats.open == 0 && stats.abandoned == 1)
            let logs = try await servers.storedLogs()
            #expect(logs.count == 1 && logs.first?.statusCode == 499)
            #expect(logs.first?.error?.contains("client went away") == true, "\(logs.first?.error ?? "")")
        }
    }

    // The relay notices the client is gone when a write fails, logs it, and drops the upstream
    // body, which closes the upstream connection. The stream is long so that a write does fail.
    @Test("a client that goes away mid-stream is logged as such, with what it had received")
    func clientGoneMidStream() async throws {
        try await LiveServers.with { servers in
            let gate = UUID().uuidString
            let request = servers.streamingRequest(
                "openai/chat/completions",
                headers: ["x-mock-gate": gate, "x-mock-chunks": "5000", "x-mock-chunk-delay-ms": "1"])
            let (logIDs, logIDSink) = AsyncStream.makeStream(of: String.self)
            let reader = Task {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                logIDSink.yield(response.headers.first(name: "cf-aig-log-id") ?? "")
                for try await _ in response.body {}
            }
            var ids = logIDs.makeAsyncIterator()
            let logID = try #require(await ids.next())
            reader.cancel()  // the client hangs up while the upstream still holds its second chunk
            _ = try? await reader.value
            // Let the upstream go on: the gateway's next write finds the client gone.
            _ = try await servers.send(.POST, "\(servers.mock)/_mock/release/\(gate)")
            let log = try #require(try await servers.storedLog(logID))
            #expect(!log.success)
            #expect(log.error?.contains("client disconnected") == true, "\(log.error ?? "no error recorded")")
            // The provider's stream was cut too: nothing goes on generating for nobody.
            let stats = try await mockSettles(servers)
            #expect(stats.open == 0 && stats.abandoned == 1)
        }
    }
}
