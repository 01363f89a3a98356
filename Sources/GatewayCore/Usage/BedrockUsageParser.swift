/// Amazon Bedrock: the Converse API reports `usage.inputTokens` / `outputTokens`;
/// InvokeModel with an Anthropic model answers in Anthropic's format.
public struct BedrockUsageParser: UsageParser {
    public init() {}
    public var name: String { "bedrock" }
    public var keys: Set<String> { ["usage", "message"] }

    public func fold(_ object: [String: Any], into usage: inout TokenUsage) {
        if let reported = UntypedJSON.object(object["usage"]), reported["inputTokens"] != nil {
            usage.inputIncludesCached = true
            usage.input = UntypedJSON.int(reported["inputTokens"])
            usage.output = UntypedJSON.int(reported["outputTokens"])
            if let cached = UntypedJSON.int(reported["cacheReadInputTokens"]) { usage.cachedInput = cached }
        } else {
            AnthropicUsageParser().fold(object, into: &usage)
        }
    }
}
