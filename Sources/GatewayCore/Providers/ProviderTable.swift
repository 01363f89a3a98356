import AIGateway

/// The providers one gateway process can reach: the built-in table with its base URLs
/// overridden from configuration and the environment, plus configured `custom-*` providers.
public struct ProviderTable: Sendable {
    private var providers: [String: ProviderDescriptor]
    /// Custom providers made through the management API (configured ones win).
    public let custom: CustomProviderRegistry

    /// Builds the table.
    /// - Parameters:
    ///   - overrides: per-slug settings from the configuration file.
    ///   - environment: process environment; `AIGW_PROVIDER_<SLUG>_BASE_URL` wins over the file.
    ///   - accountID: fills `{account_id}` in base URLs (Workers AI) unless a provider sets its own.
    public init(
        overrides: [String: ProviderOverride] = [:], environment: [String: String] = [:], accountID: String = "local",
        custom: CustomProviderRegistry = CustomProviderRegistry()
    ) throws {
        self.custom = custom
        var table: [String: ProviderDescriptor] = [:]
        for descriptor in BuiltInProviders.all { table[descriptor.slug.rawValue] = descriptor }

        for (slug, override) in overrides {
            if var descriptor = table[slug] {
                if let base = override.baseURL { descriptor.baseURL = base }
                if let header = override.credentialHeader { descriptor.credentialHeader = header.lowercased() }
                table[slug] = descriptor
            } else if slug.hasPrefix("custom-") {
                guard let base = override.baseURL else {
                    throw ConfigurationError("providers.\(slug): a custom provider needs a base_url")
                }
                table[slug] = ProviderDescriptor(
                    slug: ProviderSlug(rawValue: slug), baseURL: base,
                    credentialHeader: override.credentialHeader?.lowercased(),
                    usage: UsageParsers.named(override.usageFormat ?? "openai") ?? OpenAIUsageParser())
            } else {
                throw ConfigurationError(
                    "providers.\(slug): unknown provider; built-in providers are \(ProviderSlug.builtIn.map(\.rawValue).joined(separator: ", ")), custom ones are named custom-{name}"
                )
            }
        }
        for (slug, var descriptor) in table {
            if let base = environment[Self.environmentKey(for: slug)], !base.isEmpty {
                descriptor.baseURL = base
            }
            let account = overrides[slug]?.accountID ?? accountID
            descriptor.baseURL = descriptor.baseURL.replacingOccurrences(of: "{account_id}", with: account)
            table[slug] = descriptor
        }
        self.providers = table
    }

    /// The environment variable that overrides a provider's base URL: `AIGW_PROVIDER_WORKERS_AI_BASE_URL`.
    public static func environmentKey(for slug: String) -> String {
        "AIGW_PROVIDER_" + slug.uppercased().replacingOccurrences(of: "-", with: "_") + "_BASE_URL"
    }

    /// The provider for a slug, or the unknown-provider error that lists the known ones.
    public func provider(_ slug: String) throws -> ProviderDescriptor {
        if let descriptor = providers[slug] { return descriptor }
        if slug.hasPrefix("custom-"), let descriptor = custom.descriptor(slug) { return descriptor }
        throw GatewayError.unknownProvider(slug, known: knownSlugs)
    }

    /// Whether a slug is served by the configuration (built in, or a configured `custom-*`).
    public func isConfigured(_ slug: String) -> Bool { providers[slug] != nil }

    /// Every slug this table serves, sorted.
    public var knownSlugs: [String] { Set(providers.keys).union(custom.slugs).sorted() }
}

/// A provider's settings in the configuration file.
public struct ProviderOverride: Sendable, Codable, Equatable {
    /// Replaces the default upstream base URL.
    public var baseURL: String?
    /// For custom providers: the header that carries their credential.
    public var credentialHeader: String?
    /// For custom providers: which usage format their answers use (`openai`, `anthropic`, ...).
    public var usageFormat: String?
    /// Fills `{account_id}` in the base URL (Workers AI's upstream account).
    public var accountID: String?

    public init(baseURL: String? = nil, credentialHeader: String? = nil, usageFormat: String? = nil, accountID: String? = nil) {
        self.baseURL = baseURL
        self.credentialHeader = credentialHeader
        self.usageFormat = usageFormat
        self.accountID = accountID
    }

    enum CodingKeys: String, CodingKey {
        case baseURL = "base_url"
        case credentialHeader = "credential_header"
        case usageFormat = "usage_format"
        case accountID = "account_id"
    }
}
