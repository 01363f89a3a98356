/// The name of an AI provider as it appears in a gateway URL
/// (`/v1/{account}/{gateway}/{provider}/...`), e.g. `openai` or `workers-ai`.
///
/// The built-in slugs are static members; any other string (for instance a
/// configured `custom-mymodel`) is a valid slug too.
public struct ProviderSlug: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The slug as written in URLs.
    public let rawValue: String

    /// Wraps a slug string as written in URLs.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a slug string literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The slug as written in URLs.
    public var description: String { rawValue }

    /// Whether this is a user-configured `custom-{name}` provider.
    public var isCustom: Bool { rawValue.hasPrefix("custom-") }

    public static let openai: ProviderSlug = "openai"
    public static let anthropic: ProviderSlug = "anthropic"
    public static let workersAI: ProviderSlug = "workers-ai"
    public static let azureOpenAI: ProviderSlug = "azure-openai"
    public static let awsBedrock: ProviderSlug = "aws-bedrock"
    public static let googleAIStudio: ProviderSlug = "google-ai-studio"
    public static let googleVertexAI: ProviderSlug = "google-vertex-ai"
    public static let groq: ProviderSlug = "groq"
    public static let mistral: ProviderSlug = "mistral"
    public static let cohere: ProviderSlug = "cohere"
    public static let huggingface: ProviderSlug = "huggingface"
    public static let perplexityAI: ProviderSlug = "perplexity-ai"
    public static let replicate: ProviderSlug = "replicate"
    public static let deepseek: ProviderSlug = "deepseek"
    public static let openrouter: ProviderSlug = "openrouter"
    public static let grok: ProviderSlug = "grok"
    public static let cerebras: ProviderSlug = "cerebras"
    public static let cartesia: ProviderSlug = "cartesia"
    public static let elevenlabs: ProviderSlug = "elevenlabs"
    public static let fireworks: ProviderSlug = "fireworks"

    /// Every built-in provider, in the order of the specification's table.
    public static let builtIn: [ProviderSlug] = [
        .openai, .anthropic, .workersAI, .azureOpenAI, .awsBedrock, .googleAIStudio, .googleVertexAI,
        .groq, .mistral, .cohere, .huggingface, .perplexityAI, .replicate, .deepseek, .openrouter,
        .grok, .cerebras, .cartesia, .elevenlabs, .fireworks,
    ]
}
