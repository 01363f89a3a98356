import Foundation
import HTTPTypes

/// The credentials a request brings for its provider, in whichever header (or query
/// parameter) the client chose to send them.
///
/// Providers name one header for their key (`x-api-key`, `authorization`, ...), but SDKs do
/// not keep to it: Anthropic's current Python SDK sends `authorization: Bearer ...`, Azure's
/// clients `api-key`, Google's both `x-goog-api-key` and `?key=`. Everything keyed by who is
/// calling (the cache, the coalescing of identical requests, whether a stored key is used)
/// reads all of them, so that two callers with different keys never share an answer and a
/// caller's own key is never replaced by the gateway's.
public enum ClientCredentials {
    /// Every header that can carry a credential to a provider.
    public static let headerNames: [HTTPField.Name] = [
        .authorization, HTTPField.Name("x-api-key")!, HTTPField.Name("api-key")!, HTTPField.Name("x-goog-api-key")!,
        .cookie, HTTPField.Name("x-amz-security-token")!, .proxyAuthorization,
    ]

    /// The query parameters that can carry a credential (Google's `key`).
    public static let queryNames: [String] = ["key", "api_key", "api-key"]

    /// Everything that identifies the caller to its provider, as bytes for a key: each
    /// credential header present (every value, in order) and the credential query
    /// parameters, each tagged and length-prefixed so no two sets of values run together.
    public static func fingerprint(headers: HTTPFields, query: String?) -> [UInt8] {
        var bytes: [UInt8] = []
        func add(_ tag: UInt8, _ text: some StringProtocol) {
            bytes.append(tag)
            withUnsafeBytes(of: UInt32(text.utf8.count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: text.utf8)
        }
        for (index, name) in headerNames.enumerated() {
            for value in headers[values: name] { add(UInt8(index), value) }
        }
        for (name, value) in queryCredentials(query) { add(0x80, name + "=" + value) }
        return bytes
    }

    /// Whether the request carries a credential of its own anywhere: a non-empty value in
    /// any credential header (a bare `Bearer`, which SDKs send when told to leave the key
    /// out, is none) or a credential query parameter.
    public static func present(headers: HTTPFields, query: String?) -> Bool {
        for name in headerNames where name != .cookie {
            for value in headers[values: name] where carriesCredential(value) { return true }
        }
        return queryCredentials(query).contains { !$0.value.isEmpty }
    }

    /// Whether one header value holds a credential.
    static func carriesCredential(_ value: String) -> Bool {
        let trimmed = value.trimmingHTTPWhitespace
        return !trimmed.isEmpty && trimmed.lowercased() != "bearer"
    }

    /// The credential parameters of a query string, still encoded.
    private static func queryCredentials(_ query: String?) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        var found: [(String, String)] = []
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).lowercased()
            if queryNames.contains(name) { found.append((name, parts.count > 1 ? String(parts[1]) : "")) }
        }
        return found
    }
}
