/// Workers AI `run/{model}`: `{"result": {"response", "usage"}, "success": true}` whole,
/// or `data: {"response": ...}` events ending with one that carries `usage`, then `[DONE]`.
/// Usage: 15 prompt and 5 completion tokens.
struct WorkersAIMock: MockProvider {
    static let promptTokens = 15
    static let completionTokens = 5

    func matches(path: String) -> Bool { path.contains("/ai/run/") }

    private var usage: String {
        #"{"prompt_tokens":\#(Self.promptTokens),"completion_tokens":\#(Self.completionTokens),"total_tokens":\#(Self.promptTokens + Self.completionTokens)}"#
    }

    func answer(request: [String: Any], path: String) -> String {
        #"{"result":{"response":\#(MockText.json(MockText.whole())),"usage":\#(usage)},"success":true,"errors":[],"messages":[]}"#
    }

    func stream(request: [String: Any], path: String, query: String?, chunks: Int) -> [String] {
        var events = (0..<chunks).map { index in
            MockText.sse(#"{"response":\#(MockText.json(MockText.piece(index))),"p":"abc"}"#)
        }
        events.append(MockText.sse(#"{"response":"","usage":\#(usage)}"#))
        events.append(MockText.sse("[DONE]"))
        return events
    }

    func error(status: Int) -> String {
        #"{"result":null,"success":false,"errors":[{"code":\#(status),"message":"mock upstream fault: status \#(status)"}],"messages":[]}"#
    }
}
