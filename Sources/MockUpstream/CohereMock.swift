/// Cohere chat: v1 (`/v1/chat`, usage in `meta.billed_units`, streams as NDJSON ending
/// with `stream-end`) and v2 (`/v2/chat`, usage in `usage.billed_units`, SSE ending with
/// `message-end`). Usage: 19 input and 4 output tokens.
struct CohereMock: MockProvider {
    static let inputTokens = 19
    static let outputTokens = 4

    func matches(path: String) -> Bool { path.hasSuffix("/v1/chat") || path.hasSuffix("/v2/chat") }

    private var units: String { #"{"input_tokens":\#(Self.inputTokens),"output_tokens":\#(Self.outputTokens)}"# }

    func answer(request: [String: Any], path: String) -> String {
        if path.hasSuffix("/v2/chat") {
            return #"{"id":"mock","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":\#(MockText.json(MockText.whole()))}]},"usage":{"billed_units":\#(units),"tokens":\#(units)}}"#
        }
        return #"{"response_id":"mock","text":\#(MockText.json(MockText.whole())),"finish_reason":"COMPLETE","meta":{"api_version":{"version":"1"},"billed_units":\#(units)}}"#
    }

    func stream(request: [String: Any], path: String, query: String?, chunks: Int) -> [String] {
        if path.hasSuffix("/v2/chat") {
            var events = (0..<chunks).map { index in
                MockText.sse(
                    #"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":\#(MockText.json(MockText.piece(index)))}}}}"#,
                    event: "content-delta")
            }
            events.append(
                MockText.sse(
                    #"{"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"billed_units":\#(units),"tokens":\#(units)}}}"#,
                    event: "message-end"))
            return events
        }
        var lines = [#"{"is_finished":false,"event_type":"stream-start","generation_id":"mock"}"# + "\n"]
        for index in 0..<chunks {
            lines.append(#"{"is_finished":false,"event_type":"text-generation","text":\#(MockText.json(MockText.piece(index)))}"# + "\n")
        }
        lines.append(
            #"{"is_finished":true,"event_type":"stream-end","finish_reason":"COMPLETE","response":{"text":\#(MockText.json(MockText.whole(chunks))),"meta":{"billed_units":\#(units)}}}"# + "\n")
        return lines
    }

    func streamContentType(path: String, query: String?) -> String {
        path.hasSuffix("/v2/chat") ? "text/event-stream" : "application/stream+json"
    }
}
