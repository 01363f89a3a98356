import Testing

@testable import GatewayCore

@Suite("Usage: tokens from each provider family's answers, whole and streamed")
struct UsageExtractorTests {
    func usage(_ body: String, _ contentType: String?, _ parser: any UsageParser) -> TokenUsage {
        UsageExtractor.usage(in: Array(body.utf8), contentType: contentType, parser: parser)
    }

    @Test("OpenAI: whole answer, with cached prompt tokens")
    func openAIWhole() {
        let body = #"{"usage":{"prompt_tokens":20,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":8}}}"#
        let result = usage(body, "application/json", OpenAIUsageParser())
        #expect(result.totalInput == 20)
        #expect(result.output == 5)
        #expect(result.cachedInput == 8)
    }

    @Test("OpenAI: the final usage chunk of a stream")
    func openAIStream() {
        let body = """
            data: {"choices":[{"delta":{"content":"Hi"}}],"usage":null}

            data: {"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}

            data: [DONE]

            """
        let result = usage(body, "text/event-stream", OpenAIUsageParser())
        #expect(result.totalInput == 11)
        #expect(result.output == 7)
    }

    @Test("OpenAI: embeddings report prompt tokens only; the Responses API uses input/output names")
    func openAIOtherShapes() {
        let embeddings = usage(#"{"usage":{"prompt_tokens":5,"total_tokens":5}}"#, "application/json", OpenAIUsageParser())
        #expect(embeddings.totalInput == 5)
        #expect(embeddings.output == 0)
        let responses = usage(
            #"data: {"type":"response.completed","response":{"usage":{"input_tokens":3,"output_tokens":4}}}"#,
            "text/event-stream", OpenAIUsageParser())
        #expect(responses.totalInput == 3)
        #expect(responses.output == 4)
    }

    @Test("Anthropic: message_start gives input, message_delta the cumulative output; cache tokens add to input")
    func anthropicStream() {
        let body = """
            event: message_start
            data: {"type":"message_start","message":{"usage":{"input_tokens":13,"cache_read_input_tokens":100,"cache_creation_input_tokens":7,"output_tokens":1}}}

            event: content_block_delta
            data: {"type":"content_block_delta","delta":{"type":"text_delta","text":"usage"}}

            event: message_delta
            data: {"type":"message_delta","usage":{"output_tokens":9}}

            """
        let result = usage(body, "text/event-stream", AnthropicUsageParser())
        #expect(result.input == 13)
        #expect(result.cachedInput == 100)
        #expect(result.cacheCreationInput == 7)
        #expect(result.totalInput == 120)
        #expect(result.output == 9)
    }

    @Test("Anthropic: whole message")
    func anthropicWhole() {
        let result = usage(#"{"type":"message","usage":{"input_tokens":13,"output_tokens":9}}"#, "application/json", AnthropicUsageParser())
        #expect(result.totalInput == 13)
        #expect(result.output == 9)
    }

    @Test("Workers AI: result.usage whole, usage on the last streamed event")
    func workersAI() {
        let whole = usage(
            #"{"result":{"response":"hi","usage":{"prompt_tokens":15,"completion_tokens":5}},"success":true}"#,
            "application/json", WorkersAIUsageParser())
        #expect(whole.totalInput == 15)
        #expect(whole.output == 5)
        let streamed = usage(
            "data: {\"response\":\"hi\"}\n\ndata: {\"response\":\"\",\"usage\":{\"prompt_tokens\":15,\"completion_tokens\":5}}\n\ndata: [DONE]\n\n",
            "text/event-stream", WorkersAIUsageParser())
        #expect(streamed.totalInput == 15)
        #expect(streamed.output == 5)
    }

    @Test("Google: usageMetadata, last chunk wins, in SSE or as a JSON array; thoughts count as output")
    func google() {
        let sse = usage(
            "data: {\"usageMetadata\":{\"promptTokenCount\":17,\"candidatesTokenCount\":1}}\r\n\r\ndata: {\"usageMetadata\":{\"promptTokenCount\":17,\"candidatesTokenCount\":6}}\r\n\r\n",
            "text/event-stream", GoogleUsageParser())
        #expect(sse.totalInput == 17)
        #expect(sse.output == 6)
        let array = usage(
            #"[{"usageMetadata":{"promptTokenCount":17,"candidatesTokenCount":2}},{"usageMetadata":{"promptTokenCount":17,"candidatesTokenCount":6,"thoughtsTokenCount":4}}]"#,
            "application/json", GoogleUsageParser())
        #expect(array.output == 10)
    }

    @Test("Cohere: v1 meta.billed_units, v1 NDJSON stream-end, v2 usage, v2 message-end")
    func cohere() {
        let parser = CohereUsageParser()
        let v1 = usage(#"{"text":"x","meta":{"billed_units":{"input_tokens":19,"output_tokens":4}}}"#, "application/json", parser)
        #expect(v1.totalInput == 19 && v1.output == 4)
        let v1Stream = usage(
            "{\"event_type\":\"text-generation\",\"text\":\"x\"}\n{\"event_type\":\"stream-end\",\"response\":{\"meta\":{\"billed_units\":{\"input_tokens\":19,\"output_tokens\":4}}}}\n",
            "application/stream+json", parser)
        #expect(v1Stream.totalInput == 19 && v1Stream.output == 4)
        let v2 = usage(#"{"usage":{"billed_units":{"input_tokens":3,"output_tokens":2}}}"#, "application/json", parser)
        #expect(v2.totalInput == 3 && v2.output == 2)
        let v2Stream = usage(
            "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"usage\":{\"billed_units\":{\"input_tokens\":3,\"output_tokens\":2}}}}\n\n",
            "text/event-stream", parser)
        #expect(v2Stream.totalInput == 3 && v2Stream.output == 2)
    }

    @Test("answers without usage, or not JSON at all, give no tokens and no crash")
    func noUsage() {
        #expect(usage("", nil, OpenAIUsageParser()) == TokenUsage())
        #expect(usage("<html>bad gateway</html>", "text/html", OpenAIUsageParser()).totalInput == nil)
        #expect(usage("data: {not json usage", "text/event-stream", OpenAIUsageParser()).totalInput == nil)
        #expect(usage(#"{"usage":"weird"}"#, "application/json", AnthropicUsageParser()).totalInput == nil)
    }

    @Test("the model comes from a JSON request body's model field")
    func model() {
        #expect(UsageExtractor.model(inRequestBody: Array(#"  {"model":"gpt-4o","messages":[]}"#.utf8)) == "gpt-4o")
        #expect(UsageExtractor.model(inRequestBody: Array("not json".utf8)) == nil)
        #expect(UsageExtractor.model(inRequestBody: Array(#"{"model":7}"#.utf8)) == nil)
    }
}
