/// Google AI Studio `models/{model}:generateContent` and `:streamGenerateContent`
/// (SSE with `alt=sse`, otherwise a JSON array). Every chunk carries the running
/// `usageMetadata`; the totals are 17 prompt and 6 candidate tokens. A request offering
/// function declarations gets a call of the first one. `:batchEmbedContents` answers one
/// embedding per request.
struct GoogleMock: MockProvider {
    static let promptTokens = 17
    static let candidateTokens = 6

    func matches(path: String) -> Bool {
        path.contains(":generateContent") || path.contains(":streamGenerateContent") || path.contains(":batchEmbedContents")
    }

    func wantsStream(request: [String: Any], path: String, query: String?) -> Bool {
        path.contains(":streamGenerateContent")
    }

    private func chunk(_ text: String, candidates: Int, finished: Bool = false) -> String {
        #"{"candidates":[{"content":{"parts":[{"text":\#(MockText.json(text))}],"role":"model"}\#(finished ? #","finishReason":"STOP""# : ""),"index":0}],"usageMetadata":{"promptTokenCount":\#(Self.promptTokens),"candidatesTokenCount":\#(candidates),"totalTokenCount":\#(Self.promptTokens + candidates)},"modelVersion":"gemini-mock"}"#
    }

    func answer(request: [String: Any], path: String) -> String {
        if path.contains(":batchEmbedContents") {
            let count = max(1, (request["requests"] as? [Any])?.count ?? 1)
            return #"{"embeddings":[\#(Array(repeating: #"{"values":[0.1,0.2,0.3]}"#, count: count).joined(separator: ","))]}"#
        }
        let declarations = (request["tools"] as? [[String: Any]])?.first?["functionDeclarations"] as? [[String: Any]]
        if let name = declarations?.first?["name"] as? String {
            return #"{"candidates":[{"content":{"parts":[{"functionCall":{"name":\#(MockText.json(name)),"args":{"city":"Paris"}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":\#(Self.promptTokens),"candidatesTokenCount":\#(Self.candidateTokens),"totalTokenCount":\#(Self.promptTokens + Self.candidateTokens)},"modelVersion":"gemini-mock"}"#
        }
        return chunk(MockText.whole(), candidates: Self.candidateTokens, finished: true)
    }

    func stream(request: [String: Any], path: String, query: String?, chunks: Int) -> [String] {
        let pieces = (0..<chunks).map { index in
            chunk(
                MockText.piece(index), candidates: index == chunks - 1 ? Self.candidateTokens : index + 1,
                finished: index == chunks - 1)
        }
        if query?.contains("alt=sse") == true {
            return pieces.map { MockText.sse($0) }
        }
        // Without alt=sse Google streams one JSON array, element by element.
        return pieces.enumerated().map { index, piece in
            (index == 0 ? "[" : ",\r\n") + piece + (index == pieces.count - 1 ? "]" : "")
        }
    }

    func error(status: Int) -> String {
        #"{"error":{"code":\#(status),"message":"mock upstream fault: status \#(status)","status":"UNAVAILABLE"}}"#
    }

    func streamContentType(path: String, query: String?) -> String {
        query?.contains("alt=sse") == true ? "text/event-stream" : "application/json"
    }
}
