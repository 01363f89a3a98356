import AIGateway
import Foundation
import GatewayCore
import Testing

@Suite("/compat end to end: OpenAI's format in and out through a live gateway, logged under the real provider")
struct CompatRouteTests {
    func compat(_ servers: LiveServers, _ body: String, path: String = "chat/completions", headers: [String: String] = [:])
        async throws -> LiveServers.Answer
    {
        try await servers.send(servers.url("compat/\(path)"), headers: ["authorization": "Bearer sk-test"].merging(headers) { $1 }, body: body)
    }

    @Test("Anthropic, whole: a chat.completion back; the mock got a Messages request with x-api-key; tokens logged")
    func anthropicWhole() async throws {
        try await LiveServers.with { servers in
            let answer = try await compat(
                servers, #"{"model":"anthropic/claude-3-5-haiku-latest","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}]}"#)
            #expect(answer.status == 200 && answer.headers["content-type"] == "application/json")
            let completion = answer.json
            #expect(completion["object"] as? String == "chat.completion")
            let choice = (completion["choices"] as? [[String: Any]])?.first
            #expect((choice?["message"] as? [String: Any])?["content"] as? String == "Hello from the")
            #expect((completion["usage"] as? [String: Any])?["prompt_tokens"] as? Int == 13)

            let sent = try #require(try await servers.mockRequests().last)
            #expect(sent["path"] as? String == "/v1/messages")
            let headers = sent["headers"] as? [String: String] ?? [:]
            #expect(headers["x-api-key"] == "sk-test" && headers["authorization"] == nil && headers["anthropic-version"] != nil)
            let body = try JSONValue(json: Data((sent["body"] as? String ?? "").utf8))
            #expect(body["system"] == "Be brief." && body["max_tokens"] == 4096 && body["model"] == "claude-3-5-haiku-latest")

            let log = try #require(try await servers.storedLog(answer.logID))
            #expect(log.provider == "anthropic" && log.model == "claude-3-5-haiku-latest" && log.path == "v1/messages")
            #expect(log.tokensIn == 13 && log.tokensOut == 9 && log.success)
        }
    }

    @Test("Anthropic, streamed: OpenAI chunks with the usage chunk and [DONE]; the log has the provider's tokens")
    func anthropicStream() async throws {
        try await LiveServers.with { servers in
            let answer = try await compat(
                servers,
                #"{"model":"anthropic/claude-3-5-haiku-latest","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hello"}]}"#)
            #expect(answer.status == 200 && answer.headers["content-type"] == "text/event-stream")
            #expect(answer.body.hasSuffix("data: [DONE]\n\n"))
            let events = answer.body.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: {") }
            let chunks = events.compactMap { try? JSONValue(json: Data($0.dropFirst(6).utf8)) }
            #expect(chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }.joined() == "Hello from the")
            #expect(chunks.last?["usage"]?["completion_tokens"] == 9)
            let log = try #require(try await servers.storedLog(answer.logID))
            #expect(log.provider == "anthropic" && log.tokensIn == 13 && log.tokensOut == 9 && log.requestType == "stream")
        }
    }

    @Test("Google AI Studio, whole and streamed; the mock got generateContent with x-goog-api-key")
    func google() async throws {
        try await LiveServers.with { servers in
            let whole = try await compat(servers, #"{"model":"google-ai-studio/gemini-2.0-flash","messages":[{"role":"user","content":"Hi"}]}"#)
            let choice = (whole.json["choices"] as? [[String: Any]])?.first
            #expect(whole.status == 200 && (choice?["message"] as? [String: Any])?["content"] as? String == "Hello from the")
            #expect(choice?["finish_reason"] as? String == "stop")
            let sent = try #require(try await servers.mockRequests().last)
            #expect(sent["path"] as? String == "/v1beta/models/gemini-2.0-flash:generateContent")
            #expect((sent["headers"] as? [String: String])?["x-goog-api-key"] == "sk-test")

            let streamed = try await compat(
                servers, #"{"model":"google-ai-studio/gemini-2.0-flash","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(streamed.status == 200 && streamed.body.contains("chat.completion.chunk") && streamed.body.hasSuffix("data: [DONE]\n\n"))
            let log = try #require(try await servers.storedLog(streamed.logID))
            #expect(log.provider == "google-ai-studio" && log.model == "gemini-2.0-flash" && log.tokensIn == 17 && log.tokensOut == 6)
        }
    }

    @Test("tools round trip: Anthropic's tool use comes back as OpenAI tool_calls")
    func tools() async throws {
        try await LiveServers.with { servers in
            let answer = try await compat(
                servers,
                #"{"model":"anthropic/claude-3-5-haiku-latest","messages":[{"role":"user","content":"Weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}"#)
            let choice = (answer.json["choices"] as? [[String: Any]])?.first
            #expect(choice?["finish_reason"] as? String == "tool_calls")
            let call = ((choice?["message"] as? [String: Any])?["tool_calls"] as? [[String: Any]])?.first
            #expect((call?["function"] as? [String: Any])?["arguments"] as? String == #"{"city":"Paris"}"#)
        }
    }

    @Test("an OpenAI-compatible provider gets the request as sent, with the bare model name")
    func passThrough() async throws {
        try await LiveServers.with { servers in
            let answer = try await compat(servers, #"{"model":"groq/llama-3.1-8b-instant","messages":[{"role":"user","content":"Hi"}],"seed":1}"#)
            #expect(answer.status == 200 && answer.json["model"] as? String == "llama-3.1-8b-instant")
            let sent = try #require(try await servers.mockRequests().last)
            #expect(sent["path"] as? String == "/openai/v1/chat/completions")
            #expect((sent["headers"] as? [String: String])?["authorization"] == "Bearer sk-test")
        }
    }

    @Test("embeddings: passed through for OpenAI, translated for Google")
    func embeddings() async throws {
        try await LiveServers.with { servers in
            let openAI = try await compat(servers, #"{"model":"openai/text-embedding-3-small","input":"hi"}"#, path: "embeddings")
            #expect(openAI.status == 200 && openAI.json["object"] as? String == "list")
            let google = try await compat(servers, #"{"model":"google-ai-studio/text-embedding-004","input":["a","b"]}"#, path: "embeddings")
            let data = google.json["data"] as? [[String: Any]] ?? []
            #expect(google.status == 200 && data.count == 2 && data.last?["index"] as? Int == 1)
        }
    }

    @Test("a provider's error passes through untranslated, with its status; retries apply on /compat too")
    func upstreamErrorAndRetry() async throws {
        try await LiveServers.with { servers in
            let body = #"{"model":"anthropic/claude-3-5-haiku-latest","messages":[{"role":"user","content":"Hi"}]}"#
            let failed = try await compat(servers, body, headers: ["x-mock-status": "529"])
            #expect(failed.status == 529 && failed.body.contains(#""type":"error""#))
            let retried = try await compat(
                servers, body, headers: ["x-mock-fail-first": "1", "x-mock-sequence": UUID().uuidString, "cf-aig-max-attempts": "2"])
            #expect(retried.status == 200 && retried.body.contains("chat.completion"))
        }
    }

    @Test("bad requests are 400s naming the field, logged, and reach no upstream")
    func badInput() async throws {
        try await LiveServers.with { servers in
            for (body, mentioning) in [
                ("not json", "JSON object"), (#"{"model":"gpt-4o","messages":[]}"#, "{provider}/{model}"),
                (#"{"model":"nope/x","messages":[]}"#, "unknown provider 'nope'"),
                (#"{"model":"anthropic/c","messages":[{"role":"robot","content":"x"}]}"#, "messages[0].role"),
            ] {
                let answer = try await compat(servers, body)
                #expect(answer.status == 400 && answer.body.contains(mentioning), "\(answer.body)")
                #expect(answer.json["internalCode"] as? Int == 2015)
            }
            let count = try await servers.mockCount()
            #expect(count == 0)
            #expect(try await servers.storedLogs().count == 4)
        }
    }

    @Test("a Universal step with provider compat: an Anthropic model in OpenAI's format, after a failing step")
    func universalCompatStep() async throws {
        try await LiveServers.with { servers in
            let steps = #"[{"provider":"openai","endpoint":"chat/completions","headers":{"x-mock-status":"500"},"query":{"model":"gpt-4o","messages":[]}},{"provider":"compat","endpoint":"chat/completions","headers":{"authorization":"Bearer sk-ant"},"query":{"model":"anthropic/claude-3-5-haiku-latest","messages":[{"role":"user","content":"Hi"}]}}]"#
            let answer = try await servers.send("\(servers.gateway)/v1/local/test-gw", body: steps)
            #expect(answer.status == 200 && answer.headers["cf-aig-step"] == "1" && answer.json["object"] as? String == "chat.completion")
            let bad = try await servers.send(
                "\(servers.gateway)/v1/local/test-gw", body: #"{"provider":"compat","endpoint":"chat/completions","query":{"model":"x"}}"#)
            #expect(bad.status == 400 && bad.body.contains("step 0") && bad.body.contains("model"))
        }
    }
}
