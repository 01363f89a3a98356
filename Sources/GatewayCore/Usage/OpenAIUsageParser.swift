/// OpenAI and every OpenAI-compatible provider: `usage.prompt_tokens` and
/// `usage.completion_tokens` (chat, embeddings, the final usage chunk of a stream),
/// or `usage.input_tokens` / `output_tokens` (Responses API, also inside `response`).
public struct OpenAIUsageParser: UsageParser {
    public init() {}
    public var name: String { "openai" }
    public var keys: Set<String> { ["usage", "response"] }

    public func fold(_ object: [String: Any], into usage: inout TokenUsage) {
        if let reported = UntypedJSON.object(object["usage"]) {
            Self.apply(reported, to: &usage)
        } else if let reported = UntypedJSON.object(object, "response", "usage") {
            Self.apply(reported, to: &usage)
        }
    }

    static func apply(_ reported: [String: Any], to usage: inout TokenUsage) {
        if let input = UntypedJSON.int(reported["prompt_tokens"]) ?? UntypedJSON.int(reported["input_tokens"]) {
            usage.input = input
        }
        if let output = UntypedJSON.int(reported["completion_tokens"]) ?? UntypedJSON.int(reported["output_tokens"]) {
            usage.output = output
        } else if usage.output == nil, usage.input != nil {
            usage.output = 0  // embeddings report prompt tokens only
        }
        let details = UntypedJSON.object(reported["prompt_tokens_details"]) ?? UntypedJSON.object(reported["input_tokens_details"])
        if let cached = UntypedJSON.int(details?["cached_tokens"]) {
            usage.cachedInput = cached
        }
        usage.inputIncludesCached = true
    }
}
