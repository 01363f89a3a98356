/// What a gateway URL names: `/v1/{account}/{gateway}/{provider}/{provider path}`.
public struct GatewayRoute: Sendable, Equatable {
    public var accountID: String
    public var gatewayID: String
    public var provider: String
    /// Everything after the provider slug, without the leading slash, still percent-encoded.
    public var providerPath: String

    /// Splits a request path. Throws 2012 when a part is missing or the provider path breaks
    /// ``ProviderPathRule``, 2001 for another account.
    public init(path: String, servedAccount: String) throws {
        guard path.utf8.starts(with: "/v1/".utf8) else {
            throw GatewayError.badPath("gateway URLs start with /v1/{account}/{gateway}/{provider}/; got '\(path)'")
        }
        let (account, afterAccount) = Self.cut(path.dropFirst(4))
        let (gateway, afterGateway) = afterAccount.map(Self.cut) ?? ("", nil)
        let (provider, afterProvider) = afterGateway.map(Self.cut) ?? ("", nil)
        guard !account.isEmpty, !gateway.isEmpty, !provider.isEmpty else {
            throw GatewayError.badPath(
                "the URL names no provider: use /v1/{account}/{gateway}/{provider}/{path}, e.g. /v1/\(servedAccount)/my-gateway/openai/chat/completions"
            )
        }
        guard account == servedAccount else {
            throw GatewayError.gatewayNotFound(
                "account '\(account)' is not served here; this gateway serves account '\(servedAccount)' (set AIGW_ACCOUNT_ID to change it)"
            )
        }
        accountID = String(account)
        gatewayID = String(gateway)
        self.provider = String(provider)
        providerPath = afterProvider.map(String.init) ?? ""
        if let problem = ProviderPathRule.problem(inPath: providerPath) {
            throw GatewayError.badPath("\(problem); got '\(providerPath.printableInError)'")
        }
    }

    /// The gateway of a Universal endpoint path, `/v1/{account}/{gateway}` (with or without
    /// a trailing slash) of the served account; nil for any other path.
    public static func universalGateway(path: String, servedAccount: String) -> String? {
        guard path.utf8.starts(with: "/v1/".utf8) else { return nil }
        let (account, afterAccount) = cut(path.dropFirst(4))
        guard let afterAccount else { return nil }
        let (gateway, afterGateway) = cut(afterAccount)
        guard afterGateway?.isEmpty ?? true, !gateway.isEmpty, account == servedAccount else { return nil }
        return String(gateway)
    }

    /// `path` cut at its first slash: what comes before it, and what comes after it (nil
    /// when there is no slash). Walking a path this way allocates nothing.
    private static func cut(_ path: Substring) -> (Substring, Substring?) {
        guard let slash = path.utf8.firstIndex(of: UInt8(ascii: "/")) else { return (path, nil) }
        return (path[..<slash], path[path.utf8.index(after: slash)...])
    }
}
