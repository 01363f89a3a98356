/// Cohere: v1 answers carry `meta.billed_units` (in a stream, on the `stream-end`
/// event's `response`); v2 answers carry `usage.billed_units` (in a stream, on
/// `message-end` as `delta.usage`).
public struct CohereUsageParser: UsageParser {
    public init() {}
    public var name: String { "cohere" }
    public var keys: Set<String> { ["meta", "response", "usage", "delta"] }

    public func fold(_ object: [String: Any], into usage: inout TokenUsage) {
        let candidates: [[String: Any]?] = [
            UntypedJSON.object(object, "meta"),
            UntypedJSON.object(object, "response", "meta"),
            UntypedJSON.object(object, "usage"),
            UntypedJSON.object(object, "delta", "usage"),
        ]
        for container in candidates {
            guard let container else { continue }
            let units = UntypedJSON.object(container["billed_units"]) ?? UntypedJSON.object(container["tokens"])
            guard let units else { continue }
            usage.inputIncludesCached = true
            if let input = UntypedJSON.int(units["input_tokens"]) { usage.input = input }
            if let output = UntypedJSON.int(units["output_tokens"]) { usage.output = output }
            return
        }
    }
}
