import AIGateway
import Foundation

/// Reads and checks a custom provider from a management API body (create or update, the
/// fields of Cloudflare's `custom_provider_create_params`); every problem is a 400 naming
/// the field.
public enum CustomProviderInput {
    /// What a body asks for: the provider's fields, and its extra headers in clear (to be
    /// sealed before they are stored), or nil where the body leaves them as they are.
    public struct Change {
        public var provider: CustomProvider
        public var headers: [String: String]?
    }

    /// Applies `members` to `provider` (fields absent keep their values).
    public static func apply(_ members: [String: JSONValue], to provider: CustomProvider) throws -> Change {
        var provider = provider
        var headers: [String: String]?
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "name":
                provider.name = try text(value, key, maximum: 200)
            case "slug":
                let slug = try text(value, key, maximum: 64)
                guard slug.utf8.allSatisfy({ isSlugByte($0) }), slug.utf8.first != UInt8(ascii: "-") else {
                    throw ManagementError.badInput(key, "must be lowercase letters, digits and '-' (it is used as custom-\(slug))")
                }
                provider.slug = slug
            case "base_url":
                let url = try text(value, key, maximum: 2048)
                if let problem = baseURLProblem(url) { throw ManagementError.badInput(key, problem) }
                provider.baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
            case "enable":
                provider.enable = try flag(value, key)
            case "beta":
                provider.beta = try flag(value, key)
            case "description":
                provider.description = try optionalText(value, key)
            case "link":
                provider.link = try optionalText(value, key)
            case "curl_example":
                provider.curlExample = try optionalText(value, key)
            case "js_example":
                provider.jsExample = try optionalText(value, key)
            case "position":
                guard value == .null || value.numberValue.map({ $0.rounded() == $0 && abs($0) < 1e9 }) == true else {
                    throw ManagementError.badInput(key, "must be a whole number or null")
                }
                provider.position = value.numberValue.map { Int($0) }
            case "headers":
                headers = try extraHeaders(value)
            case "id", "created_at", "modified_at", "logo":
                continue  // what the gateway sets, sent back by clients that echo a whole object
            default:
                throw ManagementError.badInput(
                    key,
                    "unknown field of a custom provider (name, slug, base_url, enable, beta, description, link, curl_example, js_example, position, headers)"
                )
            }
        }
        for (field, value) in [("name", provider.name), ("slug", provider.slug), ("base_url", provider.baseURL)] where value.isEmpty {
            throw ManagementError.badInput(field, "is required")
        }
        if let headers {
            provider.headers = headers.isEmpty ? nil : redacted(Array(headers.keys))
        }
        return Change(provider: provider, headers: headers)
    }

    /// Why a base URL cannot be used, or nil: `https://` with a host, or `http://` to a
    /// loopback host (a local test server); no user information, query or fragment; read
    /// as the upstream client reads every provider's URL.
    public static func baseURLProblem(_ url: String) -> String? {
        if let problem = TelemetryInput.urlProblem(url, allowingQuery: false) { return problem }
        guard let parsed = try? UpstreamURL(url) else { return "'\(url)' is not a usable URL" }
        if url.contains("{") { return "must not hold placeholders" }
        let loopback = ["localhost", "127.0.0.1", "::1"].contains(parsed.endpoint.host)
        if !parsed.endpoint.tls && !loopback { return "must be https:// (http:// only to a loopback host)" }
        return nil
    }

    /// The extra headers: a JSON object (or its text, as Cloudflare's client sends it) of
    /// string values, with names and values HTTP allows; `null` or `{}` for none.
    static func extraHeaders(_ value: JSONValue, field: String = "headers") throws -> [String: String] {
        var object = value
        if let text = value.stringValue {
            guard let parsed = try? JSONValue(json: Data(text.utf8)) else {
                throw ManagementError.badInput(field, "must be a JSON object of header names to values")
            }
            object = parsed
        }
        if object == .null { return [:] }
        guard let members = object.objectValue, members.count <= 20 else {
            throw ManagementError.badInput(field, "must be a JSON object of at most 20 header names to values")
        }
        var headers: [String: String] = [:]
        for (name, value) in members {
            guard !name.isEmpty, name.utf8.allSatisfy(UpstreamRequestEncoder.isTokenByte) else {
                throw ManagementError.badInput("\(field).\(name)", "is not a valid header name")
            }
            guard let text = value.stringValue, text.utf8.count <= 8192,
                text.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 })
            else {
                throw ManagementError.badInput("\(field).\(name)", "must be a string HTTP allows in a header value")
            }
            guard !["host", "content-length", "transfer-encoding", "connection"].contains(name.lowercased()) else {
                throw ManagementError.badInput("\(field).\(name)", "is set by the gateway itself")
            }
            headers[name.lowercased()] = text
        }
        return headers
    }

    /// How the API shows the headers: their names, never their values.
    static func redacted(_ names: [String]) -> String {
        let object = Dictionary(uniqueKeysWithValues: names.map { ($0, "[redacted]") })
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func isSlugByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-")
    }

    private static func text(_ value: JSONValue, _ key: String, maximum: Int) throws -> String {
        guard let text = value.stringValue, !text.isEmpty, text.count <= maximum else {
            throw ManagementError.badInput(key, "must be a string of 1 to \(maximum) characters")
        }
        return text
    }

    private static func optionalText(_ value: JSONValue, _ key: String) throws -> String? {
        if value == .null { return nil }
        guard let text = value.stringValue, text.count <= 10_000 else {
            throw ManagementError.badInput(key, "must be a string of at most 10,000 characters, or null")
        }
        return text
    }

    private static func flag(_ value: JSONValue, _ key: String) throws -> Bool {
        guard let flag = value.boolValue else { throw ManagementError.badInput(key, "must be true or false") }
        return flag
    }
}
