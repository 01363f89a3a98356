/// OpenAI chat completions (whole and streamed, with the final usage chunk when
/// `stream_options.include_usage` is set) and embeddings. Usage: 11 prompt and
/// (chat) 7 completion tokens; embeddings 5 prompt tokens.
struct OpenAIMock: MockProvider {
    static let promptTokens = 11
    static let completionTokens = 7

    func matches(path: String) -> Bool {
        path.hasSuffix("/chat/completions") || path.hasSuffix("/embeddings") || path.hasSuffix("/moderations")
    }

    func answer(request: [String: Any], path: String) -> String {
        let model = MockText.json(request["model"] as? String ?? "gpt-4o-mini")
        if path.hasSuffix("/moderations") { return GuardMock.moderation(request) }
        if path.hasSuffix("/embeddings") {
            return #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2,0.3]}],"model":\#(model),"usage":{"prompt_tokens":5,"total_tokens":5}}"#
        }
        return #"{"id":"chatcmpl-mock","object":"chat.completion","created":1700000000,"model":\#(model),"choices":[{"index":0,"message":{"role":"assistant","content":\#(MockText.json(MockText.requested(in: request) ?? MockText.whole()))},"finish_reason":"stop"}],"usage":{"prompt_tokens":\#(Self.promptTokens),"completion_tokens":\#(Self.completionTokens),"total_tokens":\#(Self.promptTokens + Self.completionTokens)}}"#
    }

    func stream(request: [String: Any], path: String, query: String?, chunks: Int) -> [String] {
        let model = MockText.json(request["model"] as? String ?? "gpt-4o-mini")
        let includeUsage = (request["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true
        let usageField = includeUsage ? #","usage":null"# : ""
        var events = MockText.pieces(for: request, chunks: chunks).map { piece in
            MockText.sse(
                #"{"id":"chatcmpl-mock","object":"chat.completion.chunk","created":1700000000,"model":\#(model),"choices":[{"index":0,"delta":{"content":\#(MockText.json(piece))},"finish_reason":null}]\#(usageField)}"#
            )
        }
        events.append(
            MockText.sse(
                #"{"id":"chatcmpl-mock","object":"chat.completion.chunk","created":1700000000,"model":\#(model),"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]\#(usageField)}"#
            ))
        if includeUsage {
            events.append(
                MockText.sse(
                    #"{"id":"chatcmpl-mock","object":"chat.completion.chunk","created":1700000000,"model":\#(model),"choices":[],"usage":{"prompt_tokens":\#(Self.promptTokens),"completion_tokens":\#(Self.completionTokens),"total_tokens":\#(Self.promptTokens + Self.completionTokens)}}"#
                ))
        }
        events.append(MockText.sse("[DONE]"))
        return events
    }
}
