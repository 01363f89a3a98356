import Foundation
import NIOCore
import PropertyBased
import Synchronization
import TestSupport
import Testing

@testable import GatewayCore

/// Fuzzing what the gateway reads from upstreams: the usage readers over whole answers and
/// event streams, and the upstream client over arbitrary response bytes.
@Suite("Fuzz: usage readers and the upstream response parser")
struct AnswerParsingFuzzTests {
    static let parsers: [any UsageParser] = [
        OpenAIUsageParser(), AnthropicUsageParser(), GoogleUsageParser(), WorkersAIUsageParser(), CohereUsageParser(),
        BedrockUsageParser(),
    ]

    static let answerPieces = FuzzInputs.json + [
        "\"usage\"", "\"prompt_tokens\"", "\"completion_tokens\"", "\"input_tokens\"", "\"output_tokens\"", "\"usageMetadata\"",
        "\"promptTokenCount\"", "\"candidatesTokenCount\"", "\"message\"", "\"delta\"", "data: ", "event: ", "\n\n", "[DONE]",
        "123456789012345678901234567890", "-5", "1e400",
    ]

    @Test("any answer, whole or streamed, yields a usage of non-negative counts or none, and no crash")
    func usage() async {
        let contentTypes = ["application/json", "text/event-stream", nil]
        await propertyCheck(
            count: FuzzInputs.count, input: FuzzInputs.bytes(Self.answerPieces, length: 0...32), Gen.int(in: 0...17)
        ) { body, choice in
            let usage = UsageExtractor.usage(
                in: body, contentType: contentTypes[choice % 3], parser: Self.parsers[choice % Self.parsers.count])
            for count in [usage.input, usage.output, usage.cachedInput, usage.cacheCreationInput] {
                #expect((count ?? 0) >= 0, "\(body)")
            }
            _ = UsageExtractor.model(inRequestBody: body)
        }
    }

    static let responsePieces = [
        "HTTP/1.1 200 OK\r\n", "HTTP/1.1 500 Oops\r\n", "HTTP/1.0 204 No\r\n", "Content-Length: 2\r\n", "Content-Length: -1\r\n",
        "Content-Length: 99999999999999999999\r\n", "Transfer-Encoding: chunked\r\n", "Connection: close\r\n", "\r\n", "ok",
        "2\r\nok\r\n", "0\r\n\r\n", "ffffffffffffffff\r\n", "X: y\r\n", ": \r\n", " folded\r\n", "HTTP/2 200\r\n",
    ]

    @Test("any response bytes end in an answer, a broken body or a failure of the call, never a hang or a crash")
    func upstreamResponses() async throws {
        let answers = Mutex<[String]>([])
        let upstream = try await ScriptedUpstream.start { _, _ in
            [.write(answers.withLock { $0.isEmpty ? "" : $0.removeFirst() }), .close]
        }
        let client = try UpstreamClient(connectionsPerHost: 4)
        // Each case is a connection: a tenth of the text parsers' count keeps the run short.
        await propertyCheck(
            count: max(1, FuzzInputs.count / 10), input: FuzzInputs.text(Self.responsePieces, length: 0...10)
        ) { response in
            answers.withLock { $0 = [response] }
            let request = UpstreamRequest(
                url: try! UpstreamURL("http://127.0.0.1:\(upstream.port)/x"), method: .GET, headers: [:], body: nil)
            do {
                let answer = try await client.send(request, timeout: .seconds(10))
                #expect((100...999).contains(answer.status))
                do {
                    for try await _ in answer.body {}
                } catch {
                    // A body that breaks off throws: what the relay turns into a broken answer.
                }
            } catch {
                // No answer: the call fails with a reason.
            }
        }
        try await client.shutdown()
        try await upstream.stop()
    }
}
