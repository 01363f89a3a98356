import AIGateway
import Foundation
import GatewayCore
import Hummingbird

/// A gateway's run tokens and stored provider keys: listed (never their secrets), made and
/// revoked through the management API's own code (``CredentialEndpoints``). A new token is
/// shown once, on the page that answers its form, and never again; a provider secret is typed
/// into a password field and never shown at all.
struct DashboardCredentialPages: Sendable {
    let dashboard: Dashboard
    let pages: DashboardPages

    func page(
        gatewayID: String, session: DashboardSession, newToken: (name: String, secret: String)? = nil, problem: String? = nil,
        status: HTTPResponse.Status = .ok, typed: [String: String] = [:]
    ) -> Response {
        let base = "/dashboard/gateways/\(HTML.segment(gatewayID))/credentials"
        let csrf = session.csrfToken(adminToken: dashboard.signingSecret)
        var values = pages.layout(title: "Credentials of \(gatewayID)", current: gatewayID, session: session)
        values["gateway"] = gatewayID
        values["csrf"] = csrf
        values["problem"] = problem
        values["authentication"] = dashboard.directory.settings(gatewayID)?.authentication ?? false
        if let newToken {
            values["newToken"] = newToken.secret
            values["newTokenName"] = newToken.name
        }
        values["tokensPath"] = base + "/tokens"
        values["keysPath"] = base + "/keys"
        let tokens = dashboard.features.runTokens.records.list(gatewayID: gatewayID).sorted { $0.createdAt > $1.createdAt }
        values["hasTokens"] = !tokens.isEmpty
        values["tokens"] = tokens.map { token -> [String: Any] in
            ["name": token.name, "id": token.id, "created": DashboardPages.time(token.createdAt), "csrf": csrf, "revokePath": base + "/tokens/revoke"]
        }
        let keys = dashboard.features.providerKeys.records.list(gatewayID: gatewayID).sorted { $0.createdAt > $1.createdAt }
        values["hasKeys"] = !keys.isEmpty
        values["keys"] = keys.map { key -> [String: Any] in
            [
                "provider": key.providerSlug, "alias": key.alias, "isDefault": key.defaultConfig, "id": key.id,
                "created": DashboardPages.time(key.createdAt), "csrf": csrf, "deletePath": base + "/keys/delete",
            ]
        }
        values["alias"] = typed["alias"] ?? ""
        values["providers"] = dashboard.providers.knownSlugs.map { ["slug": $0, "selected": $0 == (typed["provider_slug"] ?? "openai")] }
        return dashboard.html(status, dashboard.templates.render("credentials", values))
    }

    func makeToken(_ request: Request, gatewayID: String, session: DashboardSession) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        let name = (form["name"] ?? "").trimmingHTTPWhitespace
        do {
            let (record, secret) = try await dashboard.credentialChanges.createToken(
                gatewayID: gatewayID, members: ["name": .string(name.isEmpty ? "token" : String(name))])
            return page(gatewayID: gatewayID, session: session, newToken: (record.name, secret))
        } catch let error as ManagementError where error.httpStatus == 400 {
            return page(gatewayID: gatewayID, session: session, problem: error.message, status: .badRequest)
        }
    }

    func revokeToken(_ request: Request, gatewayID: String) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        try await dashboard.credentialChanges.revokeToken(gatewayID: gatewayID, id: form["token"] ?? "")
        return Dashboard.redirect(to: "/dashboard/gateways/\(HTML.segment(gatewayID))/credentials")
    }

    func storeKey(_ request: Request, gatewayID: String, session: DashboardSession) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        var members: [String: JSONValue] = [
            "provider_slug": .string(form["provider_slug"] ?? ""), "secret": .string(form["secret"] ?? ""),
            // Unticked: the API's own default (a key aliased "default" is the provider's default).
            "default_config": form["default_config"] == "true" ? .bool(true) : .null,
        ]
        if let alias = form["alias"], !alias.isEmpty { members["alias"] = .string(alias) }
        do {
            _ = try await dashboard.credentialChanges.createProviderKey(gatewayID: gatewayID, members: members)
        } catch let error as ManagementError where error.httpStatus == 400 || error.httpStatus == 409 {
            // What was typed comes back, but never the secret.
            return page(
                gatewayID: gatewayID, session: session, problem: error.message,
                status: HTTPResponse.Status(code: error.httpStatus), typed: form.filter { $0.key != "secret" })
        }
        return Dashboard.redirect(to: "/dashboard/gateways/\(HTML.segment(gatewayID))/credentials")
    }

    func deleteKey(_ request: Request, gatewayID: String) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        try await dashboard.credentialChanges.deleteProviderKey(gatewayID: gatewayID, id: form["key"] ?? "")
        return Dashboard.redirect(to: "/dashboard/gateways/\(HTML.segment(gatewayID))/credentials")
    }
}
