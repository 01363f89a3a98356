import AIGateway
import Foundation
import GatewayCore
import GatewayStore
import Hummingbird

/// `/gateways/{id}/tokens` (run tokens for authenticated gateways) and
/// `/gateways/{id}/provider_configs` (stored provider keys, BYOK).
///
/// A run token is shown once, in the answer that creates it; a provider secret is taken
/// once and never shown again. The store is written first and the in-memory directories
/// (which requests read) after, so what the API acknowledged survives a restart.
struct CredentialEndpoints: Sendable {
    let directory: GatewayDirectory
    let store: any CredentialStore
    let features: GatewayFeatures
    let providers: ProviderTable
    /// Changes run one at a time, so two creates of one alias cannot both pass the check.
    let edits = WriteTurns()

    /// A run token as listed: never its secret.
    struct TokenView: Encodable {
        var id: String
        var name: String
        var gateway_id: String
        var created_at: Date
        /// Only in the answer that creates it.
        var token: String?

        init(_ token: RunToken, secret: String? = nil) {
            (id, name, gateway_id, created_at, self.token) = (token.id, token.name, token.gatewayID, token.createdAt, secret)
        }
    }

    /// A stored provider key as listed: never its secret.
    struct ProviderKeyView: Encodable {
        var id: String
        var alias: String
        var provider_slug: String
        var gateway_id: String
        var default_config: Bool
        var created_at: Date

        init(_ key: StoredProviderKey) {
            (id, alias, provider_slug, gateway_id, default_config, created_at) =
                (key.id, key.alias, key.providerSlug, key.gatewayID, key.defaultConfig, key.createdAt)
        }
    }

    /// `GET /gateways/{id}/tokens`.
    func listTokens(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try existing(context)
        return V4Response.ok(features.runTokens.records.list(gatewayID: gateway).map { TokenView($0) })
    }

    /// `POST /gateways/{id}/tokens` with `{"name": ...}`: the token, shown this once.
    func createToken(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try existing(context)
        let members = try GatewaySettingsInput.object(try await ManagementAPI.body(request))
        let (record, secret) = try await createToken(gatewayID: gateway, members: members)
        return V4Response.ok(TokenView(record, secret: secret))
    }

    /// `DELETE /gateways/{id}/tokens/{token_id}`: the token stops working at once.
    func revokeToken(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let id = context.parameters.required("token")
        try await revokeToken(gatewayID: try existing(context), id: id)
        return V4Response.ok(["id": id])
    }

    /// `GET /gateways/{id}/provider_configs`.
    func listProviderKeys(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try existing(context)
        return V4Response.ok(features.providerKeys.records.list(gatewayID: gateway).map(ProviderKeyView.init))
    }

    /// `POST /gateways/{id}/provider_configs` with `{"alias", "provider_slug", "secret", "default_config"}`.
    func createProviderKey(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try existing(context)
        let members = try GatewaySettingsInput.object(try await ManagementAPI.body(request))
        return V4Response.ok(ProviderKeyView(try await createProviderKey(gatewayID: gateway, members: members)))
    }

    /// `DELETE /gateways/{id}/provider_configs/{id}`.
    func deleteProviderKey(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let id = context.parameters.required("config")
        try await deleteProviderKey(gatewayID: try existing(context), id: id)
        return V4Response.ok(["id": id])
    }

    // MARK: The changes themselves (the API's and the dashboard's)

    /// Mints a run token for a gateway from `{"name": ...}`: the record, and the token itself
    /// (which is never stored, only its digest).
    func createToken(gatewayID gateway: String, members: [String: JSONValue]) async throws -> (RunToken, String) {
        for key in members.keys where key != "name" { throw ManagementError.badInput(key, "unknown field (use name)") }
        let name = try text(members["name"] ?? "token", "name", maximum: 100)
        let (secret, record) = RunTokens.mint(gatewayID: gateway, name: name)
        try await edits.run {
            try await store.saveRunToken(record)
            features.runTokens.records.add(record)
        }
        return (record, secret)
    }

    /// Revokes a run token: it stops working at once.
    func revokeToken(gatewayID gateway: String, id: String) async throws {
        try await edits.run {
            guard try await store.deleteRunToken(id: id, gatewayID: gateway) else {
                throw ManagementError.notFound("token '\(id)' not found on gateway '\(gateway)'")
            }
            _ = features.runTokens.records.remove(id: id, gatewayID: gateway)
        }
    }

    /// Stores a provider key (sealed) from `{"alias", "provider_slug", "secret", "default_config"}`.
    func createProviderKey(gatewayID gateway: String, members: [String: JSONValue]) async throws -> StoredProviderKey {
        for key in members.keys where !["alias", "provider_slug", "secret", "default_config"].contains(key) {
            throw ManagementError.badInput(key, "unknown field (use alias, provider_slug, secret, default_config)")
        }
        let alias = try text(members["alias"] ?? "default", "alias", maximum: 64)
        guard alias.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ManagementError.badInput("alias", "may hold letters, digits, '-', '_' and '.' only")
        }
        guard let slug = members["provider_slug"] else { throw ManagementError.badInput("provider_slug", "is required") }
        let provider = try text(slug, "provider_slug", maximum: 100)
        do {
            _ = try providers.provider(provider)
        } catch let error as GatewayError {
            throw ManagementError.badInput("provider_slug", error.message)
        }
        guard let given = members["secret"] else { throw ManagementError.badInput("secret", "is required") }
        let secret = try text(given, "secret", maximum: 8192)
        let defaultConfig: Bool
        switch members["default_config"] {
        case nil, .null?: defaultConfig = alias == "default"
        case .bool(let value)?: defaultConfig = value
        case let other?: throw ManagementError.badInput("default_config", "must be true or false, not \(other.kindDescription)")
        }
        let key = try features.providerKeys.make(
            gatewayID: gateway, alias: alias, providerSlug: provider, secret: secret, defaultConfig: defaultConfig)
        try await edits.run {
            guard !features.providerKeys.contains(gatewayID: gateway, providerSlug: provider, alias: alias) else {
                throw ManagementError.conflict("gateway '\(gateway)' already has a '\(provider)' key with alias '\(alias)'; delete it first")
            }
            try await store.saveProviderKey(key)
            features.providerKeys.records.add(key)
        }
        return key
    }

    /// Deletes a stored provider key.
    func deleteProviderKey(gatewayID gateway: String, id: String) async throws {
        try await edits.run {
            guard try await store.deleteProviderKey(id: id, gatewayID: gateway) else {
                throw ManagementError.notFound("provider config '\(id)' not found on gateway '\(gateway)'")
            }
            _ = features.providerKeys.records.remove(id: id, gatewayID: gateway)
        }
    }

    private func existing(_ context: GatewayRequestContext) throws -> String {
        try directory.existingGatewayID(context)
    }

    private func text(_ value: JSONValue, _ field: String, maximum: Int) throws -> String {
        guard let text = value.stringValue, !text.isEmpty, text.count <= maximum else {
            throw ManagementError.badInput(field, "must be a string of 1 to \(maximum) characters")
        }
        return text
    }
}
