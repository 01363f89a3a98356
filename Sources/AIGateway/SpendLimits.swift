import Foundation

/// A gateway's spend limits (`spend_limits`, SPEC section 11): budgets in USD over windows of
/// time, each scoped by provider, model and metadata. Encoded as Cloudflare's API writes it.
public struct SpendLimits: Sendable, Hashable, Codable {
    /// Whether the rules are enforced at all.
    public var enabled: Bool
    /// The rules, at most ``maximumRules``.
    public var rules: [SpendLimitRule]

    /// The most rules a gateway may have (Cloudflare's limit).
    public static let maximumRules = 20

    /// Limits with these rules.
    public init(enabled: Bool = true, rules: [SpendLimitRule] = []) {
        self.enabled = enabled
        self.rules = rules
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        rules = try container.decodeIfPresent([SpendLimitRule].self, forKey: .rules) ?? []
    }

    /// The rules that are checked: none unless the limits are enabled.
    public var activeRules: [SpendLimitRule] { enabled ? rules.filter(\.enabled) : [] }
}

/// One spend rule: at most `limit` USD per `window` seconds, over the requests its scope
/// selects.
public struct SpendLimitRule: Sendable, Hashable, Codable {
    /// The rule's id; the spend counters are kept under it. Given, or made from its scope.
    public var id: String
    /// Whether this rule is checked.
    public var enabled: Bool
    /// The budget, in USD (more than 0).
    public var limit: Double
    /// What is limited: always `cost`.
    public var limitType: String
    /// The window, in seconds.
    public var window: Int
    /// `fixed` (windows aligned to the clock) or `sliding` (the last `window` seconds).
    public var technique: String
    /// Only requests to these providers, when set.
    public var provider: SpendValueFilter?
    /// Only requests for these models, when set.
    public var model: SpendValueFilter?
    /// Per metadata key: only requests with one of the values (`filter`), or one budget per
    /// value (`partition`).
    public var metadata: [String: SpendMetadataScope]?

    /// A rule of `limit` USD per `window` seconds.
    public init(
        id: String, enabled: Bool = true, limit: Double, window: Int, technique: String = "fixed",
        provider: SpendValueFilter? = nil, model: SpendValueFilter? = nil, metadata: [String: SpendMetadataScope]? = nil
    ) {
        self.id = id
        self.enabled = enabled
        self.limit = limit
        self.limitType = "cost"
        self.window = window
        self.technique = technique
        self.provider = provider
        self.model = model
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case id, enabled, limit, window, technique, provider, model, metadata
        case limitType
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id) ?? ""
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        limit = try container.decode(Double.self, forKey: .limit)
        limitType = try container.decodeIfPresent(String.self, forKey: .limitType) ?? "cost"
        window = try container.decode(Int.self, forKey: .window)
        technique = try container.decodeIfPresent(String.self, forKey: .technique) ?? "fixed"
        provider = try container.decodeIfPresent(SpendValueFilter.self, forKey: .provider)
        model = try container.decodeIfPresent(SpendValueFilter.self, forKey: .model)
        metadata = try container.decodeIfPresent([String: SpendMetadataScope].self, forKey: .metadata)
    }

    /// Whether the window slides (else it is fixed).
    public var isSliding: Bool { technique == "sliding" }
}

/// `{"mode": "filter", "values": [...]}`: only the requests whose value is one of these.
public struct SpendValueFilter: Sendable, Hashable, Codable {
    /// Always `filter`.
    public var mode: String
    /// The values selected.
    public var values: [String]

    /// A filter selecting `values`.
    public init(values: [String]) {
        self.mode = "filter"
        self.values = values
    }
}

/// How a rule uses one metadata key.
public enum SpendMetadataScope: Sendable, Hashable, Codable {
    /// `{"mode": "partition"}`: one budget per value of the key.
    case partition
    /// `{"mode": "filter", "values": [...]}`: only requests whose value is one of these.
    case filter([String])

    enum CodingKeys: String, CodingKey { case mode, values }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .mode) {
        case "partition": self = .partition
        case "filter": self = .filter(try container.decode([String].self, forKey: .values))
        case let mode:
            throw DecodingError.dataCorruptedError(
                forKey: .mode, in: container, debugDescription: "unknown mode '\(mode)' (partition or filter)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .partition:
            try container.encode("partition", forKey: .mode)
        case .filter(let values):
            try container.encode("filter", forKey: .mode)
            try container.encode(values, forKey: .values)
        }
    }
}

/// Where one budget stands now (`GET /gateways/{id}/spend`, aigw's own): a rule, one of its
/// partitions, and what has been spent in its window.
public struct SpendStanding: Sendable, Hashable, Codable {
    /// The rule.
    public var ruleID: String
    /// The partition's metadata values (`user=ada`), empty for a rule without partitions.
    public var partition: String
    /// The rule's budget, in USD.
    public var limit: Double
    /// Its window, in seconds.
    public var window: Int
    /// `fixed` or `sliding`.
    public var technique: String
    /// The spend the rule is held to now (for a sliding window, with the previous window's share).
    public var spent: Double
    /// What is left of the budget, in USD (0 when spent).
    public var remaining: Double
    /// Seconds until a refused request may pass again, when the budget is spent.
    public var retryAfter: Int?

    /// A standing; `remaining` follows from the limit and the spend.
    public init(
        ruleID: String, partition: String, limit: Double, window: Int, technique: String, spent: Double, retryAfter: Int?
    ) {
        self.ruleID = ruleID
        self.partition = partition
        self.limit = limit
        self.window = window
        self.technique = technique
        self.spent = spent
        self.remaining = max(0, limit - spent)
        self.retryAfter = retryAfter
    }

    enum CodingKeys: String, CodingKey {
        case partition, limit, window, technique, spent, remaining
        case ruleID = "rule_id"
        case retryAfter = "retry_after"
    }
}
