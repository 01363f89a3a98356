import AIGateway

/// The provider table of SPEC section 2, as data. Providers whose path rule differs
/// have a routing type of their own in this folder.
public enum BuiltInProviders {
    /// Every built-in provider.
    public static let all: [ProviderDescriptor] = [
        .init(slug: .openai, baseURL: "https://api.openai.com/v1", credentialHeader: "authorization"),
        .init(
            slug: .anthropic, baseURL: "https://api.anthropic.com", credentialHeader: "x-api-key",
            usage: AnthropicUsageParser()),
        .init(
            slug: .workersAI, baseURL: "https://api.cloudflare.com/client/v4/accounts/{account_id}/ai",
            credentialHeader: "authorization", routing: WorkersAIRouting(), usage: WorkersAIUsageParser()),
        .init(
            slug: .azureOpenAI, baseURL: "https://{resource}.openai.azure.com/openai/deployments/{deployment}",
            credentialHeader: "api-key", routing: AzureOpenAIRouting()),
        .init(
            slug: .awsBedrock, baseURL: "https://bedrock-runtime.{region}.amazonaws.com", credentialHeader: nil,
            routing: AWSBedrockRouting(), usage: BedrockUsageParser()),
        .init(
            slug: .googleAIStudio, baseURL: "https://generativelanguage.googleapis.com",
            credentialHeader: "x-goog-api-key", routing: GoogleModelPathRouting(), usage: GoogleUsageParser()),
        .init(
            slug: .googleVertexAI, baseURL: "https://{region}-aiplatform.googleapis.com",
            credentialHeader: "authorization", routing: GoogleVertexAIRouting(), usage: GoogleUsageParser()),
        .init(slug: .groq, baseURL: "https://api.groq.com/openai/v1", credentialHeader: "authorization"),
        .init(slug: .mistral, baseURL: "https://api.mistral.ai", credentialHeader: "authorization"),
        .init(
            slug: .cohere, baseURL: "https://api.cohere.ai", credentialHeader: "authorization",
            usage: CohereUsageParser()),
        .init(
            slug: .huggingface, baseURL: "https://api-inference.huggingface.co/models",
            credentialHeader: "authorization", routing: ModelIsPathRouting()),
        .init(slug: .perplexityAI, baseURL: "https://api.perplexity.ai", credentialHeader: "authorization"),
        .init(
            slug: .replicate, baseURL: "https://api.replicate.com/v1", credentialHeader: "authorization",
            routing: ReplicateRouting()),
        .init(slug: .deepseek, baseURL: "https://api.deepseek.com", credentialHeader: "authorization"),
        .init(slug: .openrouter, baseURL: "https://openrouter.ai/api", credentialHeader: "authorization"),
        .init(slug: .grok, baseURL: "https://api.x.ai", credentialHeader: "authorization"),
        .init(slug: .cerebras, baseURL: "https://api.cerebras.ai/v1", credentialHeader: "authorization"),
        .init(slug: .cartesia, baseURL: "https://api.cartesia.ai", credentialHeader: "x-api-key"),
        .init(slug: .elevenlabs, baseURL: "https://api.elevenlabs.io", credentialHeader: "xi-api-key"),
        .init(
            slug: .fireworks, baseURL: "https://api.fireworks.ai/inference/v1", credentialHeader: "authorization"),
    ]

    /// Every credential header of the table, lower-cased, plus the gateway's own.
    /// None of these is ever stored or logged.
    public static let credentialHeaders: Set<String> = Set(all.compactMap(\.credentialHeader)).union([
        "authorization", "x-api-key", "api-key", "cf-aig-authorization", "proxy-authorization",
        "x-amz-security-token", "x-goog-api-key", "xi-api-key",
    ])
}
