/// A log field that can be filtered on or ordered by, named as Cloudflare's API names it.
public enum LogField: String, Sendable, CaseIterable {
    case id
    case createdAt = "created_at"
    case requestContentType = "request_content_type"
    case responseContentType = "response_content_type"
    case requestType = "request_type"
    case success
    case cached
    case provider
    case model
    case modelType = "model_type"
    case cost
    /// Input plus output tokens.
    case tokens
    case tokensIn = "tokens_in"
    case tokensOut = "tokens_out"
    case duration
    case feedback
    case score
    case statusCode = "status_code"
    case step
    case eventID = "event_id"
    /// What DLP did (`FLAG`, `BLOCK`, `REDACT`; aigw's own field).
    case dlpAction = "dlp_action"
    /// What the guardrails did (`FLAG`, `BLOCK`, `PASS`, `UNCHECKED`; aigw's own field).
    case guardrailAction = "guardrail_action"
    /// The dynamic route a request took (aigw's own field).
    case routeName = "route_name"
    /// A log whose metadata has this key.
    case metadataKey = "metadata.key"
    /// A log whose metadata has a value equal to (or containing) this one.
    case metadataValue = "metadata.value"

    /// What kind of value the field holds, which decides how filter values are read.
    public enum Kind: Sendable {
        case text, number, bool, date
    }

    /// The kind of value this field holds.
    public var kind: Kind {
        switch self {
        case .id, .requestContentType, .responseContentType, .requestType, .provider, .model, .modelType, .eventID,
            .metadataKey, .metadataValue, .dlpAction, .guardrailAction, .routeName:
            .text
        case .cost, .tokens, .tokensIn, .tokensOut, .duration, .feedback, .score, .statusCode, .step: .number
        case .success, .cached: .bool
        case .createdAt: .date
        }
    }

    /// Fields the list can be ordered by (Cloudflare's `order_by` values, plus a few numeric ones).
    public static let orderable: [LogField] = [
        .createdAt, .provider, .model, .modelType, .success, .cached, .cost, .tokensIn, .tokensOut, .duration,
        .feedback, .score, .statusCode,
    ]
}

/// One value a filter compares with, already read as its field's kind.
public enum LogFilterValue: Sendable, Hashable {
    case text(String)
    case number(Double)
    case bool(Bool)
    /// Milliseconds since 1970.
    case date(Int64)
    /// The field is absent (SQL `NULL`), e.g. a log with no feedback.
    case null
}

/// How a filter compares: Cloudflare's operators, plus the inclusive bounds the older flat
/// parameters (`min_cost`, `start_date`, ...) mean.
public enum LogComparison: String, Sendable, Hashable {
    /// Equal to any of the values.
    case equals = "eq"
    /// Equal to none of the values.
    case notEquals = "neq"
    /// Contains any of the values (text, case-insensitive).
    case contains
    /// Less than the one value.
    case lessThan = "lt"
    /// Greater than the one value.
    case greaterThan = "gt"
    /// At least the one value (flat `min_*` and `start_date`).
    case atLeast = "gte"
    /// At most the one value (flat `max_*` and `end_date`).
    case atMost = "lte"
}

/// One condition on the logs: `field` compared with `values`.
public struct LogCondition: Sendable, Hashable {
    /// The field compared.
    public var field: LogField
    /// How it is compared.
    public var comparison: LogComparison
    /// What it is compared with.
    public var values: [LogFilterValue]

    /// A condition; the parser guarantees the values suit the field and the comparison.
    public init(_ field: LogField, _ comparison: LogComparison, _ values: [LogFilterValue]) {
        self.field = field
        self.comparison = comparison
        self.values = values
    }
}

/// A page of a gateway's logs: which, in what order, and which page.
public struct LogQuery: Sendable, Hashable {
    /// All must hold.
    public var conditions: [LogCondition] = []
    /// Free text looked for in the id, provider, model, path, event id and metadata.
    public var search: String?
    /// The field the page is ordered by (then by id).
    public var orderBy: LogField = .createdAt
    /// Largest first.
    public var descending = true
    /// 1-based.
    public var page = 1
    /// Logs per page, 1 to ``maximumPerPage``.
    public var perPage = 20

    /// The newest 20 logs.
    public init() {}

    /// The most logs one page may hold.
    public static let maximumPerPage = 1000
}

/// Which logs a `DELETE /logs` removes: those matching `conditions`, at most `limit` of
/// them, taken in the given order.
public struct LogDeletion: Sendable, Hashable {
    /// All must hold.
    public var conditions: [LogCondition] = []
    /// The most logs deleted, or nil for all that match.
    public var limit: Int?
    /// With a limit, which logs go first: ordered by this field (then by id).
    public var orderBy: LogField = .createdAt
    /// Largest first (the oldest go first by default).
    public var descending = false

    /// Every log.
    public init() {}

    /// The `count` oldest logs (or newest).
    public static func excess(_ count: Int, newestFirst: Bool) -> LogDeletion {
        var deletion = LogDeletion()
        deletion.limit = count
        deletion.descending = newestFirst
        return deletion
    }
}
