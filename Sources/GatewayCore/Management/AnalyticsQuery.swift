import AIGateway
import Foundation

/// What the analytics API is asked: a time range cut into buckets of one interval, the
/// figures optionally grouped, over the logs every logs filter selects.
public struct AnalyticsQuery: Sendable, Hashable {
    /// The range, in milliseconds since 1970: logs created at or after `start` and before `end`.
    public var start: Int64
    public var end: Int64
    public var interval: AnalyticsInterval
    public var groupBy: AnalyticsGrouping?
    /// The logs filters (the same as the logs list's, `filters` and the flat parameters).
    public var conditions: [LogCondition] = []
    public var search: String?

    public init(start: Int64, end: Int64, interval: AnalyticsInterval, groupBy: AnalyticsGrouping? = nil) {
        self.start = start
        self.end = end
        self.interval = interval
        self.groupBy = groupBy
    }

    /// The most buckets one answer may hold (per group): a day in minutes is 1,440.
    public static let maximumBuckets = 1500
}

/// The width of an analytics bucket.
public enum AnalyticsInterval: String, Sendable, Hashable, CaseIterable {
    case minute, hour, day

    /// The width in milliseconds. Buckets start at whole multiples of it since 1970 (UTC).
    public var milliseconds: Int64 {
        switch self {
        case .minute: 60_000
        case .hour: 3_600_000
        case .day: 86_400_000
        }
    }

    /// The interval chosen when none is asked for: the narrowest that cuts `span` milliseconds
    /// into at most 200 buckets (a chart's worth: 3 hours in minutes, 8 days in hours).
    public static func fitting(span: Int64) -> AnalyticsInterval {
        allCases.first { span / $0.milliseconds + 2 <= 200 } ?? .day
    }
}

/// What analytics figures can be grouped by.
public enum AnalyticsGrouping: String, Sendable, Hashable, CaseIterable {
    case provider, model
    /// The HTTP status code.
    case status
    /// Whether the answer came from the cache (`true` or `false`).
    case cached
}

/// Reads the analytics API's query parameters: `start` and `end` (ISO 8601; by default the
/// last 24 hours, from the start of the first bucket), `interval` (`minute`, `hour`, `day`; by default the narrowest giving at most
/// 200 buckets; asked for, at most ``AnalyticsQuery/maximumBuckets``),
/// `group_by`, and every filter of the logs list. A value it cannot use is a 400 naming it.
public enum AnalyticsQueryParser {
    /// The parameters as a query; `now` (ms since 1970) is the default end.
    public static func query(_ parameters: QueryParameters, now: Int64) throws -> AnalyticsQuery {
        var start: Int64?
        var end: Int64?
        var interval: AnalyticsInterval?
        var groupBy: AnalyticsGrouping?
        var search: String?
        var conditions = try LogQueryParser.filters(parameters)
        for (name, value) in parameters.pairs where !LogQueryParser.isFilterParameter(name) {
            switch name {
            case "start", "end":
                guard let milliseconds = Timestamp.milliseconds(iso8601: value) else {
                    throw ManagementError.badInput(name, "'\(value.printableInError)' is not an ISO 8601 date or date-time")
                }
                if name == "start" { start = milliseconds } else { end = milliseconds }
            case "interval":
                guard let read = AnalyticsInterval(rawValue: value) else {
                    throw ManagementError.badInput(name, "'\(value.printableInError)' is not minute, hour or day")
                }
                interval = read
            case "group_by":
                guard let read = AnalyticsGrouping(rawValue: value) else {
                    throw ManagementError.badInput(
                        name, "cannot group by '\(value.printableInError)' (use provider, model, status or cached)")
                }
                groupBy = read
            case "search":
                if let problem = LogQueryParser.textProblem(value) { throw ManagementError.badInput(name, problem) }
                search = value.isEmpty ? nil : value
            default:
                guard let condition = try LogQueryParser.flatCondition(name: name, value: value) else {
                    throw ManagementError.badInput(
                        name, "unknown query parameter (use start, end, interval, group_by, search, or a logs filter)")
                }
                conditions.append(condition)
            }
        }
        let rangeEnd = end ?? now
        // By default a day back, from the start of that bucket: whole buckets, which the
        // stores answer from their rollups.
        let defaultInterval = interval ?? AnalyticsInterval.fitting(span: 86_400_000)
        let rangeStart = start ?? (rangeEnd - 86_400_000) / defaultInterval.milliseconds * defaultInterval.milliseconds
        guard rangeStart < rangeEnd else {
            throw ManagementError.badInput("start", "must be before end")
        }
        let span = rangeEnd - rangeStart
        let chosen = interval ?? AnalyticsInterval.fitting(span: span)
        // Buckets are aligned to the interval, so a range can touch one more than its span holds.
        let buckets = span / chosen.milliseconds + 2
        guard buckets <= Int64(AnalyticsQuery.maximumBuckets) else {
            throw ManagementError.badInput(
                "interval",
                "\(chosen.rawValue) buckets over this range would be \(buckets); at most \(AnalyticsQuery.maximumBuckets) (use a wider interval or a shorter range)")
        }
        var query = AnalyticsQuery(start: rangeStart, end: rangeEnd, interval: chosen, groupBy: groupBy)
        query.conditions = conditions
        query.search = search
        return query
    }
}
