import AIGateway

/// Everything the gateway knows about one provider: where it lives, which header
/// carries its credential, how paths map to upstream URLs, and how it reports usage.
public struct ProviderDescriptor: Sendable {
    /// The slug used in gateway URLs.
    public var slug: ProviderSlug
    /// The upstream base URL. It may hold placeholders filled from the request path
    /// (`{resource}`, `{deployment}`, `{region}`) or configuration (`{account_id}`).
    public var baseURL: String
    /// The header that carries the provider credential, lower-cased (`authorization`,
    /// `x-api-key`, ...), or nil when credentials are signed by the client or passed through.
    public var credentialHeader: String?
    /// How a provider path becomes an upstream URL, and which model the path names.
    public var routing: any ProviderRouting
    /// How the provider reports token usage in its answers.
    public var usage: any UsageParser
    /// Headers sent with every request to it, replacing the client's of the same name (custom
    /// providers made through the API).
    public var extraHeaders: [(name: String, value: String)] = []

    /// Creates a descriptor.
    public init(
        slug: ProviderSlug, baseURL: String, credentialHeader: String?,
        routing: any ProviderRouting = AppendPathRouting(), usage: any UsageParser = OpenAIUsageParser()
    ) {
        self.slug = slug
        self.baseURL = baseURL
        self.credentialHeader = credentialHeader
        self.routing = routing
        self.usage = usage
    }
}

/// How one provider turns the path after its slug into an upstream URL.
public protocol ProviderRouting: Sendable {
    /// The upstream URL (without query) for `path`, which has no leading slash.
    /// Throws a ``GatewayError`` when the path lacks parts the provider needs.
    func upstreamURL(base: String, path: String) throws -> String
    /// The model the path names, for providers that put it there (Workers AI, Google, ...).
    func model(fromPath path: String) -> String?
    /// The model type a path implies (`chat`, `embedding`, ...), when it can tell.
    func modelType(fromPath path: String) -> String?
}

extension ProviderRouting {
    public func model(fromPath path: String) -> String? { nil }

    public func modelType(fromPath path: String) -> String? {
        let lower = path.lowercased()
        if lower.containsBytes("chat/completions") || lower.hasSuffix("messages") || lower.containsBytes("generatecontent")
            || lower.hasSuffix("chat") || lower.hasSuffix("converse") || lower.hasSuffix("responses")
        {
            return "chat"
        }
        if lower.containsBytes("embed") { return "embedding" }
        if lower.hasSuffix("completions") { return "completion" }
        if lower.containsBytes("images") { return "image" }
        if lower.containsBytes("audio") || lower.containsBytes("speech") || lower.containsBytes("tts") { return "audio" }
        return nil
    }
}

/// The default path rule: append the path to the base URL, dropping a duplicate `v1/`
/// when the base already ends in `/v1` (SPEC section 2).
public struct AppendPathRouting: ProviderRouting {
    public init() {}

    public func upstreamURL(base: String, path: String) throws -> String {
        Self.join(base, path)
    }

    /// Joins base and path with exactly one slash, dropping the path's `v1/` when the base ends in `/v1`.
    static func join(_ base: String, _ path: String) -> String {
        let trimmedBase = base.hasSuffix("/") ? String(base.dropLast()) : base
        var rest = Substring(path)
        while rest.hasPrefix("/") { rest = rest.dropFirst() }
        if trimmedBase.hasSuffix("/v1") {
            if rest == "v1" {
                rest = ""
            } else if rest.hasPrefix("v1/") {
                rest = rest.dropFirst(3)
            }
        }
        return rest.isEmpty ? trimmedBase : trimmedBase + "/" + rest
    }
}

/// A path rule that also names the model: the whole path (Hugging Face: `{owner}/{model}`).
public struct ModelIsPathRouting: ProviderRouting {
    public init() {}
    public func upstreamURL(base: String, path: String) throws -> String { AppendPathRouting.join(base, path) }
    public func model(fromPath path: String) -> String? { path.isEmpty ? nil : path }
}
