import Foundation

/// What the analytics API answers (`GET .../gateways/{id}/analytics`, and `GET .../analytics`
/// for every gateway): the figures of the logs in a time range, in total, per group, and per
/// time bucket (per group within each bucket when grouped).
public struct GatewayAnalytics: Codable, Sendable, Equatable {
    /// The range asked for: logs created at or after `start` and before `end`.
    public var start: Date
    public var end: Date
    /// The width of each bucket: `minute`, `hour` or `day`.
    public var interval: String
    /// What the figures are grouped by (`provider`, `model`, `status`, `cached`), or nil.
    public var groupBy: String?
    /// The figures of every matching log.
    public var totals: AnalyticsFigures
    /// The figures per group, largest first (empty when not grouped).
    public var groups: [AnalyticsGroup]
    /// The figures per bucket (and group), oldest first; buckets without logs are left out.
    public var buckets: [AnalyticsBucket]

    public init(
        start: Date, end: Date, interval: String, groupBy: String?, totals: AnalyticsFigures, groups: [AnalyticsGroup],
        buckets: [AnalyticsBucket]
    ) {
        self.start = start
        self.end = end
        self.interval = interval
        self.groupBy = groupBy
        self.totals = totals
        self.groups = groups
        self.buckets = buckets
    }

    enum CodingKeys: String, CodingKey {
        case start, end, interval, totals, groups, buckets
        case groupBy = "group_by"
    }
}

/// The figures of a set of logs.
public struct AnalyticsFigures: Codable, Sendable, Equatable {
    /// How many logs.
    public var requests: Int
    /// How many were not successful.
    public var errors: Int
    /// How many were answered from the cache.
    public var cached: Int
    /// Tokens in and out, summed over the logs that have them.
    public var tokensIn: Int
    public var tokensOut: Int
    /// Cost in US dollars, summed over the logs that have one.
    public var cost: Double
    /// The durations summed, in milliseconds (over `requests`, the average).
    public var durationTotal: Int
    /// Duration in milliseconds at the 50th and 95th percentiles (nearest rank), nil without logs.
    public var durationP50: Int?
    public var durationP95: Int?

    public init(
        requests: Int = 0, errors: Int = 0, cached: Int = 0, tokensIn: Int = 0, tokensOut: Int = 0, cost: Double = 0,
        durationTotal: Int = 0, durationP50: Int? = nil, durationP95: Int? = nil
    ) {
        self.durationTotal = durationTotal
        self.requests = requests
        self.errors = errors
        self.cached = cached
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.cost = cost
        self.durationP50 = durationP50
        self.durationP95 = durationP95
    }

    enum CodingKeys: String, CodingKey {
        case requests, errors, cached, cost
        case tokensIn = "tokens_in"
        case tokensOut = "tokens_out"
        case durationTotal = "duration_total"
        case durationP50 = "duration_p50"
        case durationP95 = "duration_p95"
    }
}

/// The figures of one group (one provider, model, status or cached state).
public struct AnalyticsGroup: Codable, Sendable, Equatable {
    public var group: String
    public var figures: AnalyticsFigures

    public init(group: String, figures: AnalyticsFigures) {
        self.group = group
        self.figures = figures
    }

    public init(from decoder: any Decoder) throws {
        group = try decoder.container(keyedBy: GroupKey.self).decode(String.self, forKey: .group)
        figures = try AnalyticsFigures(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: GroupKey.self)
        try container.encode(group, forKey: .group)
        try figures.encode(to: encoder)
    }
}

/// The figures of one time bucket (of one group, when grouped).
public struct AnalyticsBucket: Codable, Sendable, Equatable {
    /// The bucket's start; it lasts one interval.
    public var start: Date
    public var group: String?
    public var figures: AnalyticsFigures

    public init(start: Date, group: String?, figures: AnalyticsFigures) {
        self.start = start
        self.group = group
        self.figures = figures
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: GroupKey.self)
        start = try container.decode(Date.self, forKey: .start)
        group = try container.decodeIfPresent(String.self, forKey: .group)
        figures = try AnalyticsFigures(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: GroupKey.self)
        try container.encode(start, forKey: .start)
        try container.encodeIfPresent(group, forKey: .group)
        try figures.encode(to: encoder)
    }
}

private enum GroupKey: String, CodingKey {
    case group, start
}
