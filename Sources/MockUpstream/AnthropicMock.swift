/// Anthropic messages, whole and streamed (`message_start` with input usage,
/// `content_block_delta`s, `message_delta` with output usage, `message_stop`).
/// Usage: 13 input and 9 output tokens.
struct AnthropicMock: MockProvider {
    static let inputTokens = 13
    static let outputTokens = 9

    func matches(path: String) -> Bool { path.hasSuffix("/v1/messages") }

    /// The first tool the request offers, which the mock then calls (with `{"city":"Paris"}`).
    static func tool(in request: [String: Any]) -> String? {
        ((request["tools"] as? [[String: Any]])?.first?["name"] as? String).map(MockText.json)
    }

    func answer(request: [String: Any], path: String) -> String {
        let model = MockText.json(request["model"] as? String ?? "claude-3-5-haiku-latest")
        if let tool = Self.tool(in: request) {
            return #"{"id":"msg_mock","type":"message","role":"assistant","model":\#(model),"content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_mock","name":\#(tool),"input":{"city":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":\#(Self.inputTokens),"output_tokens":\#(Self.outputTokens)}}"#
        }
        return #"{"id":"msg_mock","type":"message","role":"assistant","model":\#(model),"content":[{"type":"text","text":\#(MockText.json(MockText.requested(in: request) ?? MockText.whole()))}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":\#(Self.inputTokens),"output_tokens":\#(Self.outputTokens)}}"#
    }

    func stream(request: [String: Any], path: String, query: String?, chunks: Int) -> [String] {
        let model = MockText.json(request["model"] as? String ?? "claude-3-5-haiku-latest")
        var events = [
            MockText.sse(
                #"{"type":"message_start","message":{"id":"msg_mock","type":"message","role":"assistant","model":\#(model),"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":\#(Self.inputTokens),"output_tokens":1}}}"#,
                event: "message_start"),
            MockText.sse(
                #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                event: "content_block_start"),
        ]
        for index in 0..<chunks {
            events.append(
                MockText.sse(
                    #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":\#(MockText.json(MockText.piece(index)))}}"#,
                    event: "content_block_delta"))
        }
        events.append(MockText.sse(#"{"type":"content_block_stop","index":0}"#, event: "content_block_stop"))
        let tool = Self.tool(in: request)
        if let tool {
            events.append(
                MockText.sse(
                    #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_mock","name":\#(tool),"input":{}}}"#,
                    event: "content_block_start"))
            for piece in [#"{"city""#, #": "Paris"}"#] {
                events.append(
                    MockText.sse(
                        #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":\#(MockText.json(piece))}}"#,
                        event: "content_block_delta"))
            }
            events.append(MockText.sse(#"{"type":"content_block_stop","index":1}"#, event: "content_block_stop"))
        }
        events.append(
            MockText.sse(
                #"{"type":"message_delta","delta":{"stop_reason":\#(tool == nil ? "\"end_turn\"" : "\"tool_use\""),"stop_sequence":null},"usage":{"output_tokens":\#(Self.outputTokens)}}"#,
                event: "message_delta"))
        events.append(MockText.sse(#"{"type":"message_stop"}"#, event: "message_stop"))
        return events
    }

    func error(status: Int) -> String {
        #"{"type":"error","error":{"type":"api_error","message":"mock upstream fault: status \#(status)"}}"#
    }
}
