import Foundation

/// A provider added through the management API (`/custom-providers`, Cloudflare's
/// `ai_gateway.custom_providers`): reached as `custom-{slug}` in gateway URLs and as
/// `custom-{slug}/{model}` on `/compat`, speaking OpenAI's format.
public struct CustomProvider: Sendable, Codable, Equatable {
    /// The provider's id.
    public var id: String
    /// The slug after `custom-` in URLs.
    public var slug: String
    /// Its display name.
    public var name: String
    /// Where requests go: `https://...` (or `http://` to a loopback host, for tests).
    public var baseURL: String
    /// Whether it is served (a disabled one is an unknown provider).
    public var enable: Bool
    /// Cloudflare's beta flag, kept as given.
    public var beta: Bool
    /// Free text, kept as given.
    public var description: String?
    /// A link to the provider's documentation, kept as given.
    public var link: String?
    /// An example call, kept as given.
    public var curlExample: String?
    /// An example call, kept as given.
    public var jsExample: String?
    /// Where it sorts in lists (lower first).
    public var position: Int?
    /// The extra headers sent to the provider, as Cloudflare's API shows them: a JSON object
    /// whose values are never returned (each reads `[redacted]`), since they may hold credentials.
    public var headers: String?
    /// When it was made.
    public var createdAt: Date
    /// When it last changed.
    public var modifiedAt: Date

    /// A provider with the required fields; the rest take their defaults.
    public init(id: String, slug: String, name: String, baseURL: String, createdAt: Date) {
        self.id = id
        self.slug = slug
        self.name = name
        self.baseURL = baseURL
        self.enable = true
        self.beta = false
        self.createdAt = createdAt
        self.modifiedAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, slug, name, enable, beta, description, link, position, headers
        case baseURL = "base_url"
        case curlExample = "curl_example"
        case jsExample = "js_example"
        case createdAt = "created_at"
        case modifiedAt = "modified_at"
    }

    /// The provider slug used in gateway URLs: `custom-{slug}`.
    public var routeSlug: String { "custom-" + slug }
}
