/// Google AI Studio and Vertex AI: `usageMetadata.promptTokenCount` and
/// `candidatesTokenCount` (plus `thoughtsTokenCount`, billed as output); each streamed
/// chunk repeats the running totals, so the last one wins.
public struct GoogleUsageParser: UsageParser {
    public init() {}
    public var name: String { "google" }
    public var keys: Set<String> { ["usageMetadata"] }

    public func fold(_ object: [String: Any], into usage: inout TokenUsage) {
        guard let reported = UntypedJSON.object(object["usageMetadata"]) else { return }
        usage.inputIncludesCached = true
        if let input = UntypedJSON.int(reported["promptTokenCount"]) { usage.input = input }
        let candidates = UntypedJSON.int(reported["candidatesTokenCount"])
        let thoughts = UntypedJSON.int(reported["thoughtsTokenCount"])
        if candidates != nil || thoughts != nil {
            usage.output = (candidates ?? 0) + (thoughts ?? 0)
        }
        if let cached = UntypedJSON.int(reported["cachedContentTokenCount"]) { usage.cachedInput = cached }
    }
}
