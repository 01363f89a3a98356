/// Anthropic: `usage` on a whole message; in a stream, `message_start` carries
/// `message.usage` (input tokens) and each `message_delta` a cumulative `usage.output_tokens`.
/// Cache reads and writes are reported apart from `input_tokens`.
public struct AnthropicUsageParser: UsageParser {
    public init() {}
    public var name: String { "anthropic" }
    public var keys: Set<String> { ["usage", "message"] }

    public func fold(_ object: [String: Any], into usage: inout TokenUsage) {
        guard let reported = UntypedJSON.object(object["usage"]) ?? UntypedJSON.object(object, "message", "usage") else {
            return
        }
        usage.inputIncludesCached = false
        // Later events repeat input counts (sometimes as 0); keep the largest seen.
        if let input = UntypedJSON.int(reported["input_tokens"]) { usage.input = max(usage.input ?? 0, input) }
        if let read = UntypedJSON.int(reported["cache_read_input_tokens"]) {
            usage.cachedInput = max(usage.cachedInput ?? 0, read)
        }
        if let written = UntypedJSON.int(reported["cache_creation_input_tokens"]) {
            usage.cacheCreationInput = max(usage.cacheCreationInput ?? 0, written)
        }
        if let output = UntypedJSON.int(reported["output_tokens"]) { usage.output = max(usage.output ?? 0, output) }
    }
}
