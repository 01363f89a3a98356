import AIGateway
import Foundation
import GatewayCore
import Hummingbird

/// A gateway's spend limits and log management on one page: where each spend rule's budget
/// stands (per partition), its rules with a form to add one and buttons to remove them, and
/// how many logs it keeps, how, and for how long. Every change goes through the management
/// API's own code and rules (``GatewayEndpoints``), so a refused form names the field.
struct DashboardLimitPages: Sendable {
    let dashboard: Dashboard
    let pages: DashboardPages

    static func path(_ gatewayID: String) -> String { "/dashboard/gateways/\(HTML.segment(gatewayID))/limits" }

    func page(
        gatewayID: String, session: DashboardSession, problem: String? = nil, status: HTTPResponse.Status = .ok,
        typed: [String: String] = [:], saved: Bool = false
    ) async throws -> Response {
        guard let settings = dashboard.directory.settings(gatewayID) else {
            throw ManagementError.notFound("There is no gateway '\(gatewayID)'.")
        }
        let base = Self.path(gatewayID)
        let csrf = session.csrfToken(adminToken: dashboard.signingSecret)
        var values = pages.layout(title: "Limits of \(gatewayID)", current: gatewayID, session: session)
        values["gateway"] = gatewayID
        values["csrf"] = csrf
        values["problem"] = problem
        values["saved"] = saved
        values["rulePath"] = base + "/rules"
        values["removePath"] = base + "/rules/remove"
        values["logsPath"] = base + "/logs"
        values["enabled"] = settings.spendLimits?.enabled ?? true

        let standings = try await dashboard.features.spendLimiter.standings(of: settings)
        values["hasStandings"] = !standings.isEmpty
        values["standings"] = standings.map { standing -> [String: Any] in
            var row: [String: Any] = [
                "rule": standing.ruleID, "partition": standing.partition.isEmpty ? "–" : standing.partition,
                "limit": DashboardPages.money(standing.limit), "spent": DashboardPages.money(standing.spent),
                "remaining": DashboardPages.money(standing.remaining),
                "used": String(format: "%.0f%%", min(100, standing.spent * 100 / standing.limit)),
            ]
            if let seconds = standing.retryAfter { row["refusing"] = "for \(seconds) s" }
            return row
        }
        let rules = settings.spendLimits?.rules ?? []
        values["hasRules"] = !rules.isEmpty
        values["rules"] = rules.map { rule -> [String: Any] in
            [
                "id": rule.id, "limit": DashboardPages.money(rule.limit), "window": "\(rule.window) s \(rule.technique)",
                "scope": Self.scope(of: rule), "enabled": rule.enabled, "csrf": csrf, "removePath": base + "/rules/remove",
            ]
        }
        for name in ["id", "limit", "window", "providers", "models", "partitions", "filters"] { values[name] = typed[name] ?? "" }
        values["techniques"] = ["fixed", "sliding"].map { ["value": $0, "selected": $0 == (typed["technique"] ?? "fixed")] }

        await dashboard.writer.flush()
        values["stored"] = DashboardPages.count(try await dashboard.store.logCount(gatewayID: gatewayID))
        values["keep"] = typed["log_management"] ?? settings.logManagement.map(String.init) ?? ""
        values["retention"] = typed["log_retention_days"] ?? settings.logRetentionDays.map(String.init) ?? ""
        let strategy = typed["log_management_strategy"] ?? settings.logManagementStrategy ?? "DELETE_OLDEST"
        values["strategies"] = [("DELETE_OLDEST", "delete the oldest"), ("STOP_INSERTING", "stop logging")].map {
            ["value": $0.0, "label": $0.1, "selected": $0.0 == strategy]
        }
        return dashboard.html(status, dashboard.templates.render("limits", values))
    }

    /// Adds a rule from the form (comma-separated lists; filters as `key=v1|v2`).
    func addRule(_ request: Request, gatewayID: String, session: DashboardSession) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        var rule: [String: JSONValue] = ["limitType": "cost", "technique": .string(form["technique"] ?? "fixed")]
        if let id = form["id"]?.trimmingHTTPWhitespace, !id.isEmpty { rule["id"] = .string(String(id)) }
        rule["limit"] = Self.number(form["limit"])
        rule["window"] = Self.number(form["window"])
        let providers = Self.list(form["providers"])
        if !providers.isEmpty { rule["provider"] = ["mode": "filter", "values": .array(providers.map(JSONValue.string))] }
        let models = Self.list(form["models"])
        if !models.isEmpty { rule["model"] = ["mode": "filter", "values": .array(models.map(JSONValue.string))] }
        var metadata: [String: JSONValue] = [:]
        for key in Self.list(form["partitions"]) { metadata[key] = ["mode": "partition"] }
        for filter in Self.list(form["filters"]) {
            let parts = filter.split(separator: "=", maxSplits: 1).map(String.init)
            let values = parts.count == 2 ? parts[1].split(separator: "|").map { JSONValue.string(String($0)) } : []
            metadata[parts.first ?? filter] = ["mode": "filter", "values": .array(values)]
        }
        if !metadata.isEmpty { rule["metadata"] = .object(metadata) }
        var rules = try currentRules(gatewayID)
        if let id = rule["id"] { rules.removeAll { $0.objectValue?["id"] == id } }
        rules.append(.object(rule))
        return try await saveRules(rules, gatewayID: gatewayID, session: session, typed: form)
    }

    /// Removes the rule the form names.
    func removeRule(_ request: Request, gatewayID: String, session: DashboardSession) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        let rules = try currentRules(gatewayID).filter { $0.objectValue?["id"]?.stringValue != form["rule"] }
        return try await saveRules(rules, gatewayID: gatewayID, session: session, typed: [:])
    }

    /// Saves `log_management`, its strategy and `log_retention_days`.
    func saveLogManagement(_ request: Request, gatewayID: String, session: DashboardSession) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        let members: [String: JSONValue] = [
            "log_management": Self.number(form["log_management"]),
            "log_management_strategy": form["log_management_strategy"].map(JSONValue.string) ?? .null,
            "log_retention_days": Self.number(form["log_retention_days"]),
        ]
        do {
            _ = try await dashboard.gatewayChanges.update(id: gatewayID, members: members)
        } catch let error as ManagementError where error.httpStatus == 400 {
            return try await page(gatewayID: gatewayID, session: session, problem: error.message, status: .badRequest, typed: form)
        }
        return Dashboard.redirect(to: Self.path(gatewayID) + "?saved=1")
    }

    private func saveRules(_ rules: [JSONValue], gatewayID: String, session: DashboardSession, typed: [String: String]) async throws
        -> Response
    {
        do {
            _ = try await dashboard.gatewayChanges.update(
                id: gatewayID, members: ["spend_limits": ["enabled": true, "rules": .array(rules)]])
        } catch let error as ManagementError where error.httpStatus == 400 {
            return try await page(gatewayID: gatewayID, session: session, problem: error.message, status: .badRequest, typed: typed)
        }
        return Dashboard.redirect(to: Self.path(gatewayID) + "?saved=1")
    }

    private func currentRules(_ gatewayID: String) throws -> [JSONValue] {
        let rules = dashboard.directory.settings(gatewayID)?.spendLimits?.rules ?? []
        return try JSONValue(json: try JSONEncoder().encode(rules)).arrayValue ?? []
    }

    /// What a rule applies to, in words.
    static func scope(of rule: SpendLimitRule) -> String {
        var parts: [String] = []
        if let providers = rule.provider?.values { parts.append("provider " + providers.joined(separator: " or ")) }
        if let models = rule.model?.values { parts.append("model " + models.joined(separator: " or ")) }
        for (key, scope) in (rule.metadata ?? [:]).sorted(by: { $0.key < $1.key }) {
            switch scope {
            case .partition: parts.append("per \(key)")
            case .filter(let values): parts.append("\(key) = " + values.joined(separator: " or "))
            }
        }
        return parts.isEmpty ? "every request" : parts.joined(separator: ", ")
    }

    /// A typed number as JSON (text the API then refuses, naming the field; empty is null).
    static func number(_ text: String?) -> JSONValue {
        let trimmed = String((text ?? "").trimmingHTTPWhitespace)
        if trimmed.isEmpty { return .null }
        return Double(trimmed).map(JSONValue.number) ?? .string(trimmed)
    }

    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { String($0.trimmingHTTPWhitespace) }.filter { !$0.isEmpty }
    }
}
