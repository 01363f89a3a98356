/// Workers AI: `result.usage` on a whole answer, `usage` on the last event of a stream,
/// both with OpenAI's field names; its `v1/` endpoints answer in OpenAI's format.
public struct WorkersAIUsageParser: UsageParser {
    public init() {}
    public var name: String { "workers-ai" }
    public var keys: Set<String> { ["result", "usage", "response"] }

    public func fold(_ object: [String: Any], into usage: inout TokenUsage) {
        if let reported = UntypedJSON.object(object, "result", "usage") {
            OpenAIUsageParser.apply(reported, to: &usage)
        } else {
            OpenAIUsageParser().fold(object, into: &usage)
        }
    }
}
