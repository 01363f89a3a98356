/// Google AI Studio `models/{model}:generateContent` and `:streamGenerateContent`
/// (SSE with `alt=sse`, otherwise a JSON array). Every chunk carries the running
/// `usageMetadata`; the totals are 17 prompt and 6 candidate tokens.
struct GoogleMock: MockProvider {
    static let promptTokens = 17
    static let candidateTokens = 6

    func matches(path: String) -> Bool { path.contains(":generateContent") || path.contains(":streamGenerateContent") }

    func wantsStream(request: [String: Any], path: String, query: String?) -> Bool {
        path.contains(":streamGenerateContent")
    }

    private func chunk(_ text: String, candidates: Int) -> String {
        #"{"candidates":[{"content":{"parts":[{"text":\#(MockText.json(text))}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":\#(Self.promptTokens),"candidatesTokenCount":\#(candidates),"totalTokenCount":\#(Self.promptTokens + candidates)},"modelVersion":"gemini-mock"}"#
    }

    func answer(request: [String: Any], path: String) -> String {
        chunk(MockText.whole(), candidates: Self.candidateTokens)
    }

    func stream(request: [String: Any], path: String, query: String?, chunks: Int) -> [String] {
        let pieces = (0..<chunks).map { index in
            chunk(MockText.piece(index), candidates: index == chunks - 1 ? Self.candidateTokens : index + 1)
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
