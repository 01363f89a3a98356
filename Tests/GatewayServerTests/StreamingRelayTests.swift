import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import Testing

@Suite("Streaming: chunks are relayed as they arrive, never buffered whole")
struct StreamingRelayTests {
    @Test("the client receives the first chunk while the upstream still withholds the second")
    func firstChunkBeforeSecondExists() async throws {
        try await LiveServers.with { servers in
            let gate = UUID().uuidString
            var request = HTTPClientRequest(url: servers.url("openai/chat/completions"))
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "x-mock-gate", value: gate)
            request.body = .bytes(ByteBuffer(string: #"{"model":"gpt-4o","stream":true,"messages":[]}"#))
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
