import AIGateway
import Foundation
import GatewayCore
import Hummingbird

/// Datasets and evaluations in the dashboard: a logs view saved as a dataset (its provider,
/// model, outcome and cache filters), each dataset evaluated with every evaluation type, and the
/// results listed. Made through the management API's own operations (``DatasetEndpoints``).
struct DashboardDatasetPages: Sendable {
    let dashboard: Dashboard
    let pages: DashboardPages

    /// The logs view's fields a dataset can keep, and the dataset filter each becomes.
    static let viewFields = ["provider", "model", "success", "cached"]

    func page(gatewayID: String, session: DashboardSession, problem: String? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let base = "/dashboard/gateways/\(HTML.segment(gatewayID))/datasets"
        let csrf = session.csrfToken(adminToken: dashboard.signingSecret)
        var values = pages.layout(title: "Datasets of \(gatewayID)", current: gatewayID, session: session)
        values["gateway"] = gatewayID
        values["problem"] = problem
        values["logsPath"] = "/dashboard/gateways/\(HTML.segment(gatewayID))/logs"
        let datasets = try await dashboard.datasets.datasets(gatewayID: gatewayID)
        values["hasDatasets"] = !datasets.isEmpty
        values["datasets"] = datasets.map { dataset -> [String: Any] in
            [
                "id": dataset.id, "name": dataset.name, "enabled": dataset.enable, "made": DashboardPages.time(dataset.createdAt),
                "filters": dataset.filters.isEmpty ? "every log" : dataset.filters.map(Self.describe).joined(separator: " and "),
                "csrf": csrf, "evaluatePath": base + "/evaluate", "deletePath": base + "/delete",
            ]
        }
        let evaluations = try await dashboard.datasets.evaluations(gatewayID: gatewayID)
        values["hasEvaluations"] = !evaluations.isEmpty
        values["evaluations"] = evaluations.map { evaluation -> [String: Any] in
            func result(_ type: String) -> String {
                guard let text = evaluation.results.first(where: { $0.evaluationTypeID == type })?.result, let number = Double(text) else {
                    return "–"
                }
                switch type {
                case "cost": return DashboardPages.money(number)
                case "speed": return DashboardPages.milliseconds(Int(number.rounded()))
                default: return String(format: "%.0f%% thumbs up", number * 100)
                }
            }
            return [
                "name": evaluation.name, "datasets": evaluation.datasets.map(\.name).joined(separator: ", "),
                "logs": DashboardPages.count(evaluation.totalLogs), "cost": result("cost"), "speed": result("speed"),
                "performance": result("performance"), "made": DashboardPages.time(evaluation.createdAt),
            ]
        }
        return dashboard.html(status, dashboard.templates.render("datasets", values))
    }

    /// The logs view's filters (from the logs page's form) saved as a dataset.
    func saveView(_ request: Request, gatewayID: String, session: DashboardSession) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        var filters: [JSONValue] = []
        for field in Self.viewFields {
            guard let value = form[field], !value.isEmpty else { continue }
            let typed: JSONValue = field == "success" || field == "cached" ? .bool(value == "true") : .string(value)
            filters.append(.object(["key": .string(field), "operator": .string("eq"), "value": .array([typed])]))
        }
        do {
            _ = try await dashboard.datasets.createDataset(
                gatewayID: gatewayID,
                members: ["name": .string(form["name"] ?? ""), "enable": .bool(true), "filters": .array(filters)])
        } catch let error as ManagementError where error.httpStatus == 400 {
            return try await page(gatewayID: gatewayID, session: session, problem: error.message, status: .badRequest)
        }
        return Dashboard.redirect(to: "/dashboard/gateways/\(HTML.segment(gatewayID))/datasets")
    }

    /// One dataset evaluated with every type.
    func evaluate(_ request: Request, gatewayID: String) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        let id = form["dataset"] ?? ""
        let name = try await dashboard.datasets.datasets(gatewayID: gatewayID).first { $0.id == id }?.name ?? id
        _ = try await dashboard.datasets.createEvaluation(
            gatewayID: gatewayID,
            members: [
                "name": .string("\(name), \(DashboardPages.time(Date()))"), "dataset_ids": .array([.string(id)]),
                "evaluation_type_ids": .array(EvaluationType.shipped.map { .string($0.id) }),
            ])
        return Dashboard.redirect(to: "/dashboard/gateways/\(HTML.segment(gatewayID))/datasets")
    }

    func delete(_ request: Request, gatewayID: String) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        _ = try await dashboard.datasets.deleteDataset(gatewayID: gatewayID, id: form["dataset"] ?? "")
        return Dashboard.redirect(to: "/dashboard/gateways/\(HTML.segment(gatewayID))/datasets")
    }

    /// A filter as a person reads it: `provider = openai`, `cost < 0.01`.
    static func describe(_ filter: DatasetFilter) -> String {
        let symbol = ["eq": "=", "contains": "contains", "lt": "<", "gt": ">"][filter.operator] ?? filter.operator
        let values = filter.value.map { value -> String in
            switch value {
            case .string(let text): text
            case .number(let number): number == number.rounded() ? String(Int(number)) : String(number)
            case .bool(let flag): String(flag)
            default: "\(value)"
            }
        }
        return "\(filter.key) \(symbol) \(values.joined(separator: " or "))"
    }
}
