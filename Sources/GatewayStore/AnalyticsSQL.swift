import AIGateway
import Foundation
import GatewayCore

/// The analytics API's figures as SQL aggregates, the same statements for both stores: one
/// statement per level (the total, per group, per bucket and group), each a single pass over
/// the matching logs that sums them and ranks their durations for the percentiles (nearest
/// rank: the value at rank ⌈n·p⌉, found with `ROW_NUMBER()` over each partition, so neither
/// database needs a percentile function). The range is bound to `created_at`, which the
/// `(gateway_id, created_at)` index serves for one gateway and the `created_at` index for all.
enum AnalyticsSQL {
    /// One level of the answer.
    enum Level: CaseIterable {
        case total, groups, buckets
    }

    /// The statement for `level`, and its bound values. Its rows have the columns `bucket`
    /// (the bucket's number: its start over the interval), `grp` (text), `requests`, `errors`,
    /// `cached`, `tokens_in`, `tokens_out`, `cost`, `duration_total`, `p50` and `p95`.
    static func statement(level: Level, gatewayID: String?, query: AnalyticsQuery, dialect: SQLDialect)
        -> (sql: String, values: [StoreValue])
    {
        var filter = LogFilterSQL(gatewayID: gatewayID, conditions: query.conditions, search: query.search, dialect: dialect)
        filter.add("created_at >= ? AND created_at < ?", [.integer(Int(query.start)), .integer(Int(query.end))])
        // Both come from enums, never from the request's text: safe to write into the statement.
        let bucket = level == .buckets ? "created_at / \(query.interval.milliseconds)" : "0"
        let group = level == .total ? "''" : groupExpression(query.groupBy)
        let sql = """
            SELECT bucket, grp, COUNT(*) AS requests,
              SUM(CASE WHEN success THEN 0 ELSE 1 END) AS errors,
              SUM(CASE WHEN cached THEN 1 ELSE 0 END) AS cached,
              CAST(SUM(COALESCE(tokens_in, 0)) AS BIGINT) AS tokens_in,
              CAST(SUM(COALESCE(tokens_out, 0)) AS BIGINT) AS tokens_out,
              CAST(SUM(COALESCE(cost, 0)) AS DOUBLE PRECISION) AS cost,
              CAST(SUM(duration) AS BIGINT) AS duration_total,
              MAX(CASE WHEN ordinal = (n * 50 + 99) / 100 THEN duration END) AS p50,
              MAX(CASE WHEN ordinal = (n * 95 + 99) / 100 THEN duration END) AS p95
            FROM (
              SELECT \(bucket) AS bucket, \(group) AS grp, success, cached, tokens_in, tokens_out, cost, duration,
                ROW_NUMBER() OVER (PARTITION BY \(bucket), \(group) ORDER BY duration) AS ordinal,
                COUNT(*) OVER (PARTITION BY \(bucket), \(group)) AS n
              FROM logs WHERE \(filter.sql)
            ) ranked
            GROUP BY bucket, grp
            ORDER BY bucket, requests DESC, grp
            """
        return (sql, filter.binds)
    }

    /// The text a log's group is read as (never NULL: a log without a model groups under "").
    static func groupExpression(_ grouping: AnalyticsGrouping?) -> String {
        switch grouping {
        case nil: "''"
        case .provider: "provider"
        case .model: "COALESCE(model, '')"
        case .status: "CAST(status_code AS TEXT)"
        case .cached: "CASE WHEN cached THEN 'true' ELSE 'false' END"
        }
    }

    /// The answer from the three levels' rows.
    static func analytics(
        query: AnalyticsQuery, total: [some StoreRow], groups: [some StoreRow], buckets: [some StoreRow]
    ) -> GatewayAnalytics {
        let width = query.interval.milliseconds
        return GatewayAnalytics(
            start: Date(milliseconds: query.start), end: Date(milliseconds: query.end), interval: query.interval.rawValue,
            groupBy: query.groupBy?.rawValue,
            totals: total.first.map(figures) ?? AnalyticsFigures(),
            groups: query.groupBy == nil ? [] : groups.map { AnalyticsGroup(group: $0.text("grp") ?? "", figures: figures($0)) },
            buckets: buckets.map { row in
                AnalyticsBucket(
                    start: Date(milliseconds: Int64(row.integer("bucket") ?? 0) * width),
                    group: query.groupBy == nil ? nil : row.text("grp") ?? "", figures: figures(row))
            })
    }

    private static func figures(_ row: some StoreRow) -> AnalyticsFigures {
        AnalyticsFigures(
            requests: row.integer("requests") ?? 0, errors: row.integer("errors") ?? 0, cached: row.integer("cached") ?? 0,
            tokensIn: row.integer("tokens_in") ?? 0, tokensOut: row.integer("tokens_out") ?? 0,
            cost: row.double("cost") ?? 0, durationTotal: row.integer("duration_total") ?? 0, durationP50: row.integer("p50"),
            durationP95: row.integer("p95"))
    }
}

extension Date {
    fileprivate init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
