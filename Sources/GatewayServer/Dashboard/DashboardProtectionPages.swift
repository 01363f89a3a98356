import AIGateway
import Foundation
import GatewayCore
import Hummingbird

/// A gateway's guardrails and DLP settings, edited in the browser: a category-by-direction grid
/// of FLAG/BLOCK, the guard models, and the DLP settings as JSON (Cloudflare's policies, aigw's
/// custom profiles). Saved through the management API's own code and rules, so a refusal names
/// the field, and what was typed comes back with it.
struct DashboardProtectionPages: Sendable {
    let dashboard: Dashboard
    let pages: DashboardPages

    static func path(_ gatewayID: String) -> String { "/dashboard/gateways/\(HTML.segment(gatewayID))/protection" }

    static let labels: [String: String] = [
        "S1": "violent crimes", "S2": "non-violent crimes", "S3": "sex-related crimes", "S4": "child sexual exploitation",
        "S5": "defamation", "S6": "specialized advice", "S7": "privacy", "S8": "intellectual property", "S9": "indiscriminate weapons",
        "S10": "hate", "S11": "suicide and self-harm", "S12": "sexual content", "S13": "elections", "P1": "prompt injection",
    ]

    func page(gatewayID: String, session: DashboardSession, problem: String? = nil, typed: [String: String]? = nil, saved: Bool = false)
        throws -> Response
    {
        guard let settings = dashboard.directory.settings(gatewayID) else { throw ManagementError.notFound("There is no gateway '\(gatewayID)'.") }
        var values = pages.layout(title: "Guardrails and DLP of \(gatewayID)", current: gatewayID, session: session)
        values["gateway"] = gatewayID
        values["csrf"] = session.csrfToken(adminToken: dashboard.signingSecret)
        values["action"] = Self.path(gatewayID)
        values["problem"] = problem
        values["saved"] = saved
        let guardrails = settings.guardrails ?? GuardrailSettings()
        values["categories"] = ProtectionInput.categories.map { category -> [String: Any] in
            func choices(_ field: String, _ current: String?) -> [[String: Any]] {
                let chosen = typed?[field] ?? current ?? ""
                return [("", "–"), ("FLAG", "flag"), ("BLOCK", "block")].map { ["value": $0.0, "label": $0.1, "selected": $0.0 == chosen] }
            }
            return [
                "category": category, "label": Self.labels[category] ?? "",
                "promptField": "prompt_\(category)", "responseField": "response_\(category)",
                "prompt": choices("prompt_\(category)", guardrails.prompt[category]),
                "response": choices("response_\(category)", guardrails.response[category]),
            ]
        }
        let model = guardrails.model ?? .llamaGuard
        values["guardProvider"] = typed?["guard_provider"] ?? model.provider
        values["guardModel"] = typed?["guard_model"] ?? model.model
        values["guardTimeout"] = typed?["guard_timeout_ms"] ?? String(model.timeoutMs)
        let dlpJSON = settings.dlp.flatMap { try? WireFormat.encoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        values["dlp"] = typed?["dlp"] ?? dlpJSON ?? ""
        values["profiles"] = DLPProfile.builtIn.keys.sorted().joined(separator: ", ")
        return dashboard.html(problem == nil ? .ok : .badRequest, dashboard.templates.render("protection", values))
    }

    func save(_ request: Request, gatewayID: String, session: DashboardSession) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        var prompt: [String: JSONValue] = [:]
        var response: [String: JSONValue] = [:]
        for category in ProtectionInput.categories {
            if let action = form["prompt_\(category)"], !action.isEmpty { prompt[category] = .string(action) }
            if let action = form["response_\(category)"], !action.isEmpty { response[category] = .string(action) }
        }
        var guardrails: [String: JSONValue] = ["prompt": .object(prompt), "response": .object(response)]
        let provider = form["guard_provider"] ?? "", model = form["guard_model"] ?? ""
        if !provider.isEmpty || !model.isEmpty {
            guardrails["model"] = [
                "provider": .string(provider), "model": .string(model),
                "timeout_ms": Double(form["guard_timeout_ms"] ?? "").map(JSONValue.number) ?? .string(form["guard_timeout_ms"] ?? ""),
            ]
        }
        var members: [String: JSONValue] = ["guardrails": prompt.isEmpty && response.isEmpty ? .null : .object(guardrails)]
        let dlpText = (form["dlp"] ?? "").trimmingHTTPWhitespace
        if dlpText.isEmpty {
            members["dlp"] = .null
        } else {
            guard let dlp = try? JSONValue(json: Array(dlpText.utf8)) else {
                return try page(gatewayID: gatewayID, session: session, problem: "dlp: is not JSON", typed: form)
            }
            members["dlp"] = dlp
        }
        do {
            _ = try await dashboard.gatewayChanges.update(id: gatewayID, members: members)
        } catch let error as ManagementError where error.httpStatus == 400 {
            return try page(gatewayID: gatewayID, session: session, problem: error.message, typed: form)
        }
        return Dashboard.redirect(to: Self.path(gatewayID) + "?saved=1")
    }
}
