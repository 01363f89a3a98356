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
        let response = GuardMock.verdict(model: path, request: request) ?? MockText.requested(in: request) ?? MockText.whole()
        return #"{"result":{"response":\#(MockText.json(response)),"usage":\#(usage)},"success":true,"errors":[],"messages":[]}"#
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

/// Workers AI's guard models, as the mock plays them: Llama Guard answers `safe`, or `unsafe`
/// and the categories on a second line; the prompt guard answers `BENIGN` or `JAILBREAK`. They
/// judge the last message: a marker `unsafe:S1,S10` names the categories outright, and a few
/// words stand for some (for the README's try-out); "ignore previous instructions" is a jailbreak.
enum GuardMock {
    static let words: [(String, String)] = [("kill", "S1"), ("steal", "S2"), ("bomb", "S9"), ("hate", "S10"), ("suicide", "S11")]

    /// OpenAI's moderation answer for `input`, its categories from the same markers and words.
    static func moderation(_ request: [String: Any]) -> String {
        let input = (request["input"] as? String) ?? ((request["input"] as? [String])?.joined(separator: " ") ?? "")
        let verdict = self.verdict(model: "llama-guard", request: ["messages": [["role": "user", "content": input]]]) ?? "safe"
        let names = ["S1": "violence", "S2": "illicit", "S4": "sexual/minors", "S10": "hate", "S11": "self-harm", "S12": "sexual"]
        let flagged = Set(verdict.split(separator: "\n").dropFirst().flatMap { $0.split(separator: ",") }.compactMap { names[String($0)] })
        let categories = names.values.sorted().map { #""\#($0)":\#(flagged.contains($0))"# }.joined(separator: ",")
        return #"{"id":"modr-mock","model":"omni-moderation-latest","results":[{"flagged":\#(!flagged.isEmpty),"categories":{\#(categories)}}]}"#
    }

    static func verdict(model path: String, request: [String: Any]) -> String? {
        let isLlamaGuard = path.contains("llama-guard")
        let isPromptGuard = path.contains("prompt-guard")
        guard isLlamaGuard || isPromptGuard else { return nil }
        let messages = request["messages"] as? [[String: Any]] ?? []
        let text = ((messages.last?["content"] as? String) ?? (request["prompt"] as? String) ?? "").lowercased()
        if isPromptGuard {
            return text.contains("ignore previous instructions") || text.contains("jailbreak:") ? "JAILBREAK" : "BENIGN"
        }
        var categories: [String] = []
        if let marker = text.range(of: "unsafe:") {
            categories = text[marker.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "," }.split(separator: ",")
                .map { $0.uppercased() }
        }
        for (word, category) in words where text.contains(word) && !categories.contains(category) { categories.append(category) }
        return categories.isEmpty ? "safe" : "unsafe\n" + categories.joined(separator: ",")
    }
}
