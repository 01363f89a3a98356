import AIGateway
import Foundation
import GatewayCore
import NIOHTTP1
import Testing

@Suite("Provider routes end to end: each family through a live gateway to the mock, logged with tokens")
struct ProviderRouteTests {
    @Test("OpenAI chat, whole: the upstream's answer comes back unchanged, logged under cf-aig-log-id")
    func openAIWhole() async throws {
        try await LiveServers.with { servers in
            let direct = try await servers.send(
                servers.mock + "/v1/chat/completions", body: #"{"model":"gpt-4o-mini","messages":[]}"#)
            let answer = try await servers.send(
                servers.url("openai/chat/completions"), headers: ["authorization": "Bearer sk-test"],
                body: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(answer.status == 200)
            #expect(answer.body == direct.body)
            #expect(answer.headers["content-type"] == "application/json")
            let id = try #require(answer.logID)
            #expect(ULID.isValid(id))
            let log = try #require(try await servers.storedLog(id))
            #expect(log.provider == "openai")
            #expect(log.model == "gpt-4o-mini")
            #expect(log.path == "chat/completions")
            #expect(log.statusCode == 200 && log.success)
            #expect(log.tokensIn == 11 && log.tokensOut == 7)
            #expect(log.requestType == "json")
            #expect(log.responseSize == answer.body.utf8.count)
            #expect(log.responseHead == answer.body)
            #expect(log.responseHeadComplete)
        }
    }

    @Test("OpenAI chat, streamed: SSE relayed unchanged; tokens from the final usage chunk")
    func openAIStream() async throws {
        try await LiveServers.with { servers in
            let answer = try await servers.send(
                servers.url("openai/v1/chat/completions"),
                body: #"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#)
            #expect(answer.status == 200)
            #expect(answer.headers["content-type"] == "text/event-stream")
            #expect(answer.body.hasSuffix("data: [DONE]\n\n"))
            let log = try #require(try await servers.storedLog(answer.logID))
            #expect(log.model == "gpt-4o")
            #expect(log.requestType == "stream")
            #expect(log.tokensIn == 11 && log.tokensOut == 7)
        }
    }

    @Test("OpenAI embeddings")
    func embeddings() async throws {
        try await LiveServers.with { servers in
            let answer = try await servers.send(
                servers.url("openai/embeddings"), body: #"{"model":"text-embedding-3-small","input":"hi"}"#)
            #expect(answer.status == 200)
            let log = try #require(try await servers.storedLog(answer.logID))
            #expect(log.modelType == "embedding")
            #expect(log.tokensIn == 5 && log.tokensOut == 0)
        }
    }

    @Test("Anthropic messages, whole and streamed (message_start + message_delta)")
    func anthropic() async throws {
        try await LiveServers.with { servers in
            for stream in [false, true] {
                let answer = try await servers.send(
                    servers.url("anthropic/v1/messages"),
                    headers: ["x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"],
                    body: #"{"model":"claude-3-5-haiku-latest","max_tokens":10,"stream":\#(stream),"messages":[]}"#)
                #expect(answer.status == 200)
                let log = try #require(try await servers.storedLog(answer.logID))
                #expect(log.provider == "anthropic")
                #expect(log.model == "claude-3-5-haiku-latest")
                #expect(log.tokensIn == 13 && log.tokensOut == 9, "stream: \(stream)")
                #expect(log.requestType == (stream ? "stream" : "json"))
            }
        }
    }

    @Test("Workers AI run: model from the path, whole and streamed")
    func workersAI() async throws {
        try await LiveServers.with { servers in
            for stream in [false, true] {
                let answer = try await servers.send(
                    servers.url("workers-ai/@cf/meta/llama-3.1-8b-instruct"),
                    body: #"{"prompt":"tell me a joke","stream":\#(stream)}"#)
                #expect(answer.status == 200)
                let log = try #require(try await servers.storedLog(answer.logID))
                #expect(log.model == "@cf/meta/llama-3.1-8b-instruct")
                #expect(log.tokensIn == 15 && log.tokensOut == 5, "stream: \(stream)")
            }
            let recorded = try await servers.mockRequests()
            #expect(recorded.last?["path"] as? String == "/client/v4/accounts/local/ai/run/@cf/meta/llama-3.1-8b-instruct")
        }
    }

    @Test("Google generateContent, whole, SSE stream and JSON-array stream; the query string is passed on")
    func google() async throws {
        try await LiveServers.with { servers in
            for path in [
                "v1beta/models/gemini-2.0-flash:generateContent",
                "v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
                "v1beta/models/gemini-2.0-flash:streamGenerateContent",
            ] {
                let answer = try await servers.send(
                    servers.url("google-ai-studio/" + path), headers: ["x-goog-api-key": "g-key"],
                    body: #"{"contents":[{"parts":[{"text":"hi"}]}]}"#)
                #expect(answer.status == 200)
                let log = try #require(try await servers.storedLog(answer.logID))
                #expect(log.model == "gemini-2.0-flash")
                #expect(log.tokensIn == 17 && log.tokensOut == 6, "\(path)")
            }
            let recorded = try await servers.mockRequests()
            #expect(recorded.contains { $0["query"] as? String == "alt=sse" })
        }
    }

    @Test("Cohere v1 (NDJSON stream) and v2 (SSE stream)")
    func cohere() async throws {
        try await LiveServers.with { servers in
            for (path, stream) in [("v1/chat", false), ("v1/chat", true), ("v2/chat", false), ("v2/chat", true)] {
                let answer = try await servers.send(
                    servers.url("cohere/" + path), body: #"{"model":"command-r","stream":\#(stream),"message":"hi"}"#)
                #expect(answer.status == 200)
                let log = try #require(try await servers.storedLog(answer.logID))
                #expect(log.tokensIn == 19 && log.tokensOut == 4, "\(path) stream: \(stream)")
            }
        }
    }

    @Test("OpenAI-compatible providers (groq, mistral, deepseek, ...) reach their own base paths")
    func compatibleProviders() async throws {
        try await LiveServers.with { servers in
            for provider in ["groq", "mistral", "deepseek", "openrouter", "grok", "cerebras", "perplexity-ai", "fireworks"] {
                let path = provider == "mistral" || provider == "deepseek" || provider == "grok" || provider == "perplexity-ai"
                    || provider == "openrouter" ? "v1/chat/completions" : "chat/completions"
                let answer = try await servers.send(
                    servers.url("\(provider)/\(path)"), body: #"{"model":"m-\#(provider)","messages":[]}"#)
                #expect(answer.status == 200, "\(provider)")
                let log = try #require(try await servers.storedLog(answer.logID))
                #expect(log.provider == provider)
                #expect(log.model == "m-\(provider)")
                #expect(log.tokensIn == 11)
            }
        }
    }

    @Test("provider calls by every method reach the pipeline; other methods and other paths are not found")
    func frontDoor() async throws {
        try await LiveServers.with { servers in
            for method in [NIOHTTP1.HTTPMethod.GET, .PUT, .PATCH, .DELETE, .OPTIONS] {
                let answer = try await servers.send(method, servers.url("openai/models"))
                #expect(answer.logID != nil, "\(method): \(answer.status) \(answer.body)")
            }
            let reached = try await servers.mockCount()
            let trace = try await servers.send(.RAW(value: "TRACE"), servers.url("openai/chat/completions"))
            #expect(trace.status == 404)
            #expect(try await servers.mockCount() == reached)
            #expect(try await servers.send(.GET, "\(servers.gateway)/v2/local/test-gw/openai/models").status == 404)
            #expect(try await servers.send(.GET, "\(servers.gateway)/healthz").status == 200)
        }
    }
}
