/// What a gateway URL names: `/v1/{account}/{gateway}/{provider}/{provider path}`.
public struct GatewayRoute: Sendable, Equatable {
    public var accountID: String
    public var gatewayID: String
    public var provider: String
    /// Everything after the provider slug, without the leading slash, still percent-encoded.
    public var providerPath: String

    /// Splits a request path. Throws 2012 when a part is missing, 2001 for another account.
    public init(path: String, servedAccount: String) throws {
        var rest = Substring(path)
        guard rest.hasPrefix("/v1/") else {
            throw GatewayError.badPath("gateway URLs start with /v1/{account}/{gateway}/{provider}/; got '\(path)'")
        }
        rest = rest.dropFirst(4)
        let parts = rest.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
            throw GatewayError.badPath(
                "the URL names no provider: use /v1/{account}/{gateway}/{provider}/{path}, e.g. /v1/\(servedAccount)/my-gateway/openai/chat/completions"
            )
        }
        guard parts[0] == servedAccount else {
            throw GatewayError.gatewayNotFound(
                "account '\(parts[0])' is not served here; this gateway serves account '\(servedAccount)' (set AIGW_ACCOUNT_ID to change it)"
            )
        }
        accountID = String(parts[0])
        gatewayID = String(parts[1])
        provider = String(parts[2])
        providerPath = parts.count > 3 ? String(parts[3]) : ""
        for segment in providerPath.split(separator: "/", omittingEmptySubsequences: false)
        where segment == ".." || segment == "." || (segment.utf8.contains(UInt8(ascii: "%")) && segment.lowercased().containsBytes("%2e%2e")) {
            throw GatewayError.badPath("the provider path may not contain '.' or '..' segments; got '\(providerPath)'")
        }
    }

    /// The gateway of a Universal endpoint path, `/v1/{account}/{gateway}` (with or without
    /// a trailing slash) of the served account; nil for any other path.
    public static func universalGateway(path: String, servedAccount: String) -> String? {
        guard path.hasPrefix("/v1/") else { return nil }
        // At most four parts are needed to tell: a provider path is never Universal.
        var parts = path.dropFirst(4).split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        if parts.count == 3, parts[2].isEmpty { parts.removeLast() }
        guard parts.count == 2, parts[0] == servedAccount, !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }
}
