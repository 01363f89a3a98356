import AIGateway
import Foundation
import GatewayCore
import GatewayStore
import Hummingbird

/// The pages that create, change and delete gateways. Every change goes through the
/// management API's own code (``GatewayEndpoints``), so its rules and messages are the API's;
/// a refused form comes back with what was typed and the message naming the setting.
struct DashboardGatewayPages: Sendable {
    let dashboard: Dashboard
    let pages: DashboardPages

    /// The form's fields and the kind of JSON value each becomes.
    enum FieldKind { case integer, flag, choice }
    static let fields: [(name: String, kind: FieldKind)] = [
        ("collect_logs", .flag), ("log_management", .integer), ("log_management_strategy", .choice),
        ("log_retention_days", .integer), ("cache_ttl", .integer),
        ("cache_invalidate_on_update", .flag), ("rate_limiting_limit", .integer), ("rate_limiting_interval", .integer),
        ("rate_limiting_technique", .choice), ("retry_max_attempts", .integer), ("retry_delay", .integer),
        ("retry_backoff", .choice), ("authentication", .flag),
    ]

    // MARK: Pages

    func settingsPage(gatewayID: String, session: DashboardSession, saved: Bool) throws -> Response {
        guard let settings = dashboard.directory.settings(gatewayID) else {
            throw ManagementError.notFound("There is no gateway '\(gatewayID)'.")
        }
        return form(for: Self.values(of: settings), gatewayID: gatewayID, session: session, saved: saved, problem: nil, status: .ok)
    }

    func newGatewayPage(session: DashboardSession) -> Response {
        form(for: Self.values(of: GatewaySettings(id: "")), gatewayID: nil, session: session, saved: false, problem: nil, status: .ok)
    }

    func save(_ request: Request, gatewayID: String, session: DashboardSession) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        do {
            _ = try await dashboard.gatewayChanges.update(id: gatewayID, members: Self.members(form))
        } catch let error as ManagementError where error.httpStatus == 400 {
            return self.form(for: form, gatewayID: gatewayID, session: session, saved: false, problem: error.message, status: .badRequest)
        }
        return Dashboard.redirect(to: Self.settingsPath(gatewayID) + "?saved=1")
    }

    func create(_ request: Request, session: DashboardSession) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        var members = Self.members(form)
        members["id"] = .string(form["id"] ?? "")
        let created: GatewaySettings
        do {
            created = try await dashboard.gatewayChanges.create(members: members)
        } catch let error as ManagementError where error.httpStatus == 400 || error.httpStatus == 409 {
            return self.form(for: form, gatewayID: nil, session: session, saved: false, problem: error.message, status: HTTPResponse.Status(code: error.httpStatus))
        }
        return Dashboard.redirect(to: Self.settingsPath(created.id) + "?saved=1")
    }

    func deletePage(gatewayID: String, session: DashboardSession) async throws -> Response {
        guard dashboard.directory.settings(gatewayID) != nil else {
            throw ManagementError.notFound("There is no gateway '\(gatewayID)'.")
        }
        await dashboard.writer.flush()
        var values = pages.layout(title: "Delete \(gatewayID)", current: gatewayID, session: session)
        values["id"] = gatewayID
        values["logs"] = DashboardPages.count(try await dashboard.store.count(gatewayID: gatewayID))
        values["action"] = "/dashboard/gateways/\(HTML.segment(gatewayID))/delete"
        values["cancel"] = Self.settingsPath(gatewayID)
        values["csrf"] = session.csrfToken(adminToken: dashboard.signingSecret)
        return dashboard.html(.ok, dashboard.templates.render("delete", values))
    }

    func delete(gatewayID: String) async throws -> Response {
        _ = try await dashboard.gatewayChanges.delete(id: gatewayID)
        return Dashboard.redirect(to: "/")
    }

    // MARK: The form

    private func form(
        for values: [String: String], gatewayID: String?, session: DashboardSession, saved: Bool, problem: String?,
        status: HTTPResponse.Status
    ) -> Response {
        var page = pages.layout(title: gatewayID.map { "Settings of \($0)" } ?? "New gateway", current: gatewayID, session: session)
        page["heading"] = gatewayID.map { "Settings of \($0)" } ?? "New gateway"
        page["creating"] = gatewayID == nil
        page["action"] = gatewayID.map { Self.settingsPath($0) } ?? "/dashboard/new-gateway"
        page["deletePath"] = gatewayID.map { "/dashboard/gateways/\(HTML.segment($0))/delete" }
        page["csrf"] = session.csrfToken(adminToken: dashboard.signingSecret)
        page["saved"] = saved
        page["problem"] = problem
        page["id"] = values["id"] ?? ""
        for (name, kind) in Self.fields {
            switch kind {
            case .flag: page[name] = values[name] == "true"
            case .integer, .choice: page[name] = values[name] ?? ""
            }
        }
        func options(_ choices: [String], selected: String?) -> [[String: Any]] {
            choices.map { ["value": $0, "label": $0 == "STOP_INSERTING" ? "stop logging" : $0 == "DELETE_OLDEST" ? "delete the oldest" : $0, "selected": $0 == selected] }
        }
        page["strategies"] = options(["STOP_INSERTING", "DELETE_OLDEST"], selected: values["log_management_strategy"])
        page["techniques"] = options(["fixed", "sliding"], selected: values["rate_limiting_technique"] ?? "fixed")
        page["backoffs"] = options(["constant", "linear", "exponential"], selected: values["retry_backoff"])
        return dashboard.html(status, dashboard.templates.render("settings", page))
    }

    /// A gateway's settings as the form shows them.
    static func values(of settings: GatewaySettings) -> [String: String] {
        var values: [String: String] = [
            "collect_logs": String(settings.collectLogs), "cache_invalidate_on_update": String(settings.cacheInvalidateOnUpdate),
            "authentication": String(settings.authentication), "rate_limiting_technique": settings.rateLimitingTechnique,
        ]
        values["log_management"] = settings.logManagement.map(String.init)
        values["log_management_strategy"] = settings.logManagementStrategy
        values["log_retention_days"] = settings.logRetentionDays.map(String.init)
        values["cache_ttl"] = settings.cacheTTL.map(String.init)
        values["rate_limiting_limit"] = settings.rateLimitingLimit.map(String.init)
        values["rate_limiting_interval"] = settings.rateLimitingInterval.map(String.init)
        values["retry_max_attempts"] = settings.retryMaxAttempts.map(String.init)
        values["retry_delay"] = settings.retryDelay.map(String.init)
        values["retry_backoff"] = settings.retryBackoff
        return values
    }

    /// The form's values as the API's JSON members: a number typed is a number, an empty field
    /// null, anything else text (which the API's rules then refuse, naming the setting).
    static func members(_ form: [String: String]) -> [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        for (name, kind) in fields {
            guard let text = form[name] else { continue }
            switch kind {
            case .flag: members[name] = .bool(text == "true")
            case .integer, .choice:
                if text.isEmpty {
                    members[name] = .null
                } else if kind == .integer, let number = Int(text.trimmingHTTPWhitespace) {
                    members[name] = .number(Double(number))
                } else {
                    members[name] = .string(text)
                }
            }
        }
        return members
    }

    static func settingsPath(_ id: String) -> String {
        "/dashboard/gateways/\(HTML.segment(id))/settings"
    }
}
