import Foundation

/// A provider added through the management API (`/custom-providers`, Cloudflare's
/// `ai_gateway.custom_providers`): reached as `custom-{slug}` in gateway URLs and as
/// `custom-{slug}/{model}` on `/compat`, speaking OpenAI's format.
public struct CustomProvider: Sendable, Codable, Equatable {
    public var id: String
    /// The slug after `custom-` in URLs.
    public var slug: String
    public var name: String
    /// Where requests go: `https://...` (or `http://` to a loopback host, for tests).
    public var baseURL: String
    public var enable: Bool
    public var beta: Bool
    public var description: String?
    public var link: String?
    public var curlExample: String?
    public var jsExample: String?
    public var position: Int?
    /// The extra headers sent to the provider, as Cloudflare's API shows them: a JSON object
    /// whose values are never returned (each reads `[redacted]`), since they may hold credentials.
    public var headers: String?
    public var createdAt: Date
    public var modifiedAt: Date

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
