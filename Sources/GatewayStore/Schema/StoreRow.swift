import AIGateway
import Foundation

/// A row as either store's driver gives it, read by column name; NULL and absent columns
/// read as nil. The one decoding of a log (``AIGatewayLog/init(row:)``) goes through it.
protocol StoreRow {
    func text(_ column: String) -> String?
    func integer(_ column: String) -> Int?
    func double(_ column: String) -> Double?
    func boolean(_ column: String) -> Bool?
    func bytes(_ column: String) -> [UInt8]?
}

extension AIGatewayLog {
    /// A log from a `logs` row selected with ``LogColumns/selectList(_:)``.
    init(row: some StoreRow) {
        func text(_ name: String) -> String? { row.text(name) }
        func int(_ name: String) -> Int? { row.integer(name) }
        func bool(_ name: String) -> Bool { row.boolean(name) ?? false }
        let metadata = text("metadata").flatMap { try? JSONDecoder().decode(LogMetadata.self, from: Data($0.utf8)) }
        self.init(
            id: text("id") ?? "", gatewayID: text("gateway_id") ?? "", provider: text("provider") ?? "",
            model: text("model") ?? "", modelType: text("model_type"), path: text("path") ?? "",
            duration: int("duration") ?? 0, requestType: text("request_type"),
            requestContentType: text("request_content_type"), statusCode: int("status_code") ?? 0,
            responseContentType: text("response_content_type"), success: bool("success"), cached: bool("cached"),
            tokensIn: int("tokens_in"), tokensOut: int("tokens_out"), metadata: metadata, step: int("step"),
            cost: row.double("cost"), customCost: row.boolean("custom_cost"),
            requestSize: int("request_size") ?? 0, requestHead: text("request_head"),
            requestHeadComplete: bool("request_head_complete"), responseSize: int("response_size") ?? 0,
            responseHead: text("response_head"), responseHeadComplete: bool("response_head_complete"),
            createdAt: Date(timeIntervalSince1970: Double(int("created_at") ?? 0) / 1000), eventID: text("event_id"),
            feedback: int("feedback"), score: int("score"), error: text("error"),
            route: text("route_name").map { name in
                LogRoute(
                    name: name, versionID: text("route_version") ?? "",
                    path: (text("route_path") ?? "").split(separator: ">").map(String.init))
            },
            dlp: text("dlp_action").map { action in
                LogDLP(
                    action: action,
                    findings: text("dlp_findings").flatMap { try? JSONDecoder().decode(LogDLP.self, from: Data($0.utf8)).findings } ?? [])
            },
            guardrails: text("guardrail_action").map { action in
                let parts = (text("guardrail_categories") ?? "").split(separator: ":", maxSplits: 1).map(String.init)
                return LogGuardrails(
                    action: action, categories: parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : [],
                    check: parts.first ?? "REQUEST")
            })
    }
}
