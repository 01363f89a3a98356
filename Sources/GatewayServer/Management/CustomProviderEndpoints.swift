import AIGateway
import Foundation
import GatewayCore
import GatewayStore
import Hummingbird

/// Custom providers (`/custom-providers`, Cloudflare's `ai_gateway.custom_providers`): made,
/// listed, read, changed and deleted here, kept in the store (their extra headers sealed with
/// the master key), and served as `custom-{slug}` from the next request on, in this process
/// at once and in the others sharing a PostgreSQL store within a second (``SharedStateSync``).
struct CustomProviderEndpoints: Sendable {
    let store: any GatewayDocumentStore
    let providers: ProviderTable
    let cipher: ProviderKeyCipher?
    /// Changes take turns, so two creates cannot both take one slug.
    let turns = WriteTurns()

    /// `GET /custom-providers?enable=&beta=&search=&page=&per_page=`, ordered by position then name.
    func list(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        var all = try await records().map(\.provider)
        let paging = try ListPaging(request.uri.query)
        for (name, value) in paging.others {
            switch name {
            case "enable", "beta":
                guard let flag = Bool(value) else { throw ManagementError.badInput(name, "'\(value)' is not true or false") }
                all = all.filter { (name == "enable" ? $0.enable : $0.beta) == flag }
            case "search":
                let needle = value.lowercased()
                all = all.filter { [$0.id, $0.name, $0.slug].contains { $0.lowercased().contains(needle) } }
            default: throw ManagementError.badInput(name, "unknown query parameter (use enable, beta, search, page, per_page)")
            }
        }
        all.sort { ($0.position ?? Int.max, $0.name, $0.id) < ($1.position ?? Int.max, $1.name, $1.id) }
        return paging.answer(all)
    }

    /// `POST /custom-providers` with `{"name", "slug", "base_url", ...}`.
    func create(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let members = try GatewaySettingsInput.object(try await ManagementAPI.body(request))
        return try await turns.run {
            let now = Date()
            let blank = CustomProvider(id: ULID(date: now).description.lowercased(), slug: "", name: "", baseURL: "", createdAt: now)
            let change = try CustomProviderInput.apply(members, to: blank)
            return V4Response.ok(try await save(change, replacing: nil))
        }
    }

    /// `GET /custom-providers/{id}`.
    func get(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        V4Response.ok(try await existing(context.parameters.required("provider")).provider)
    }

    /// `PUT /custom-providers/{id}`: the fields given change; `headers` given replace the old ones.
    func update(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let members = try GatewaySettingsInput.object(try await ManagementAPI.body(request))
        let id = context.parameters.required("provider")
        return try await turns.run {
            let record = try await existing(id)
            var change = try CustomProviderInput.apply(members, to: record.provider)
            change.provider.modifiedAt = Date()
            return V4Response.ok(try await save(change, replacing: record))
        }
    }

    /// `DELETE /custom-providers/{id}`: answers the deleted provider.
    func delete(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let id = context.parameters.required("provider")
        return try await turns.run {
            let record = try await existing(id)
            _ = try await store.deleteCustomProvider(id: record.provider.id)
            try await reload()
            return V4Response.ok(record.provider)
        }
    }

    /// Every stored custom provider.
    func records() async throws -> [CustomProviderRecord] {
        try await store.customProviders()
    }

    /// Checks the slug, seals the headers, stores the provider and serves it.
    private func save(_ change: CustomProviderInput.Change, replacing old: CustomProviderRecord?) async throws -> CustomProvider {
        let provider = change.provider
        if providers.isConfigured(provider.routeSlug) {
            throw ManagementError.badInput("slug", "'\(provider.routeSlug)' is a provider of the configuration file")
        }
        if try await records().contains(where: { $0.provider.slug == provider.slug && $0.provider.id != provider.id }) {
            throw ManagementError.badInput("slug", "another custom provider has the slug '\(provider.slug)'")
        }
        var sealed = old?.sealedHeaders
        if let headers = change.headers {
            if headers.isEmpty {
                sealed = nil
            } else {
                guard let cipher else {
                    throw ManagementError.badInput(
                        "headers", "extra headers may hold credentials and are stored sealed: set a master key (AIGW_MASTER_KEY) first")
                }
                sealed = try CustomProviderRecord.seal(headers, id: provider.id, cipher: cipher)
            }
        }
        try await store.saveCustomProvider(CustomProviderRecord(provider: provider, sealedHeaders: sealed))
        try await reload()
        return provider
    }

    /// Serves what the store holds now.
    func reload() async throws {
        providers.custom.replaceAll(try await records(), cipher: cipher)
    }

    private func existing(_ id: String) async throws -> CustomProviderRecord {
        guard let record = try await records().first(where: { $0.provider.id == id }) else {
            throw ManagementError.notFound("custom provider '\(id)' not found")
        }
        return record
    }
}
