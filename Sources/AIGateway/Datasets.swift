import Foundation

/// A dataset: a saved filter over a gateway's logs (Cloudflare's `ai_gateway` datasets).
public struct GatewayDataset: Codable, Sendable, Equatable {
    public var id: String
    public var gatewayID: String
    public var name: String
    public var enable: Bool
    public var filters: [DatasetFilter]
    public var createdAt: Date
    public var modifiedAt: Date

    public init(id: String, gatewayID: String, name: String, enable: Bool, filters: [DatasetFilter], createdAt: Date, modifiedAt: Date) {
        (self.id, self.gatewayID, self.name, self.enable, self.filters, self.createdAt, self.modifiedAt) =
            (id, gatewayID, name, enable, filters, createdAt, modifiedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, enable, filters
        case gatewayID = "gateway_id"
        case createdAt = "created_at"
        case modifiedAt = "modified_at"
    }
}

/// One condition of a dataset: a log field, an operator (`eq`, `contains`, `lt`, `gt`) and values.
public struct DatasetFilter: Codable, Sendable, Equatable {
    public var key: String
    public var `operator`: String
    public var value: [JSONValue]

    public init(key: String, operator: String, value: [JSONValue]) {
        (self.key, self.operator, self.value) = (key, `operator`, value)
    }
}

/// An evaluation: figures computed over the logs of one or more datasets.
public struct GatewayEvaluation: Codable, Sendable, Equatable {
    public var id: String
    public var gatewayID: String
    public var name: String
    public var datasets: [GatewayDataset]
    public var processed: Bool
    public var results: [EvaluationResult]
    public var totalLogs: Int
    public var createdAt: Date
    public var modifiedAt: Date

    public init(
        id: String, gatewayID: String, name: String, datasets: [GatewayDataset], processed: Bool, results: [EvaluationResult],
        totalLogs: Int, createdAt: Date, modifiedAt: Date
    ) {
        (self.id, self.gatewayID, self.name, self.datasets, self.processed, self.results, self.totalLogs) =
            (id, gatewayID, name, datasets, processed, results, totalLogs)
        (self.createdAt, self.modifiedAt) = (createdAt, modifiedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, datasets, processed, results
        case gatewayID = "gateway_id"
        case totalLogs = "total_logs"
        case createdAt = "created_at"
        case modifiedAt = "modified_at"
    }
}

/// One evaluation type's result.
public struct EvaluationResult: Codable, Sendable, Equatable {
    public var id: String
    public var evaluationID: String
    public var evaluationTypeID: String
    /// The figure, as text (a number for the shipped types).
    public var result: String
    /// 1 when computed.
    public var status: Int
    public var statusDescription: String
    public var totalLogs: Int
    public var createdAt: Date
    public var modifiedAt: Date

    public init(
        id: String, evaluationID: String, evaluationTypeID: String, result: String, status: Int, statusDescription: String,
        totalLogs: Int, createdAt: Date, modifiedAt: Date
    ) {
        (self.id, self.evaluationID, self.evaluationTypeID, self.result, self.status, self.statusDescription) =
            (id, evaluationID, evaluationTypeID, result, status, statusDescription)
        (self.totalLogs, self.createdAt, self.modifiedAt) = (totalLogs, createdAt, modifiedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, result, status
        case evaluationID = "evaluation_id"
        case evaluationTypeID = "evaluation_type_id"
        case statusDescription = "status_description"
        case totalLogs = "total_logs"
        case createdAt = "created_at"
        case modifiedAt = "modified_at"
    }
}

/// A kind of evaluation the gateway can compute.
public struct EvaluationType: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var type: String
    public var description: String
    public var enable: Bool
    public var mandatory: Bool
    public var createdAt: Date
    public var modifiedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, type, description, enable, mandatory
        case createdAt = "created_at"
        case modifiedAt = "modified_at"
    }

    /// The shipped types: cost, speed, and human feedback.
    public static let shipped: [EvaluationType] = {
        let since = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01
        func type(_ id: String, _ name: String, _ description: String) -> EvaluationType {
            EvaluationType(
                id: id, name: name, type: id, description: description, enable: true, mandatory: false, createdAt: since,
                modifiedAt: since)
        }
        return [
            type("cost", "Cost", "Average cost of a request, in US dollars, over the logs that have a cost"),
            type("speed", "Speed", "Average duration of a request, in milliseconds"),
            type("performance", "Performance", "Share of thumbs up among the logs with human feedback (0 to 1)"),
        ]
    }()
}
