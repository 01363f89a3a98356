/// Token counts reported by a provider for one request.
public struct TokenUsage: Sendable, Equatable {
    /// Input tokens billed at the full rate (for OpenAI-style providers: all prompt tokens).
    public var input: Int?
    /// Output (completion) tokens.
    public var output: Int?
    /// Input tokens read from the provider's prompt cache.
    public var cachedInput: Int?
    /// Input tokens written to the provider's prompt cache (Anthropic).
    public var cacheCreationInput: Int?
    /// Whether `input` already includes `cachedInput` (OpenAI does; Anthropic does not).
    public var inputIncludesCached: Bool

    public init(
        input: Int? = nil, output: Int? = nil, cachedInput: Int? = nil, cacheCreationInput: Int? = nil,
        inputIncludesCached: Bool = true
    ) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.cacheCreationInput = cacheCreationInput
        self.inputIncludesCached = inputIncludesCached
    }

    /// All input tokens, cached or not: the log's `tokens_in`.
    public var totalInput: Int? {
        guard let input else { return nil }
        if inputIncludesCached { return input }
        return input + (cachedInput ?? 0) + (cacheCreationInput ?? 0)
    }
}

/// Reads one provider family's usage format.
///
/// A parser folds JSON objects into a running ``TokenUsage``: the whole answer once, or
/// each event of a stream in order, so that later events (a final usage chunk, an
/// Anthropic `message_delta`) refine what earlier ones said.
public protocol UsageParser: Sendable {
    /// The format's name, as written in configuration (`openai`, `anthropic`, ...).
    var name: String { get }
    /// The top-level keys `fold` reads: only these are parsed out of each answer or event.
    var keys: Set<String> { get }
    /// Folds one answer or stream event into `usage`.
    func fold(_ object: [String: Any], into usage: inout TokenUsage)
}

/// Parsers by their configuration names, for custom providers.
public enum UsageParsers {
    public static let all: [any UsageParser] = [
        OpenAIUsageParser(), AnthropicUsageParser(), WorkersAIUsageParser(), GoogleUsageParser(),
        CohereUsageParser(), BedrockUsageParser(),
    ]

    public static func named(_ name: String) -> (any UsageParser)? {
        all.first { $0.name == name }
    }
}
