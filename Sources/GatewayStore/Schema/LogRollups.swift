import AIGateway
import Foundation
import GatewayCore

/// Per-minute figures of the logs, kept as the logs are written, so that analytics over a
/// day of a million logs reads thousands of rows instead of a million: `log_rollups` holds,
/// per gateway, minute, provider, model, status, success and cache state, the requests, tokens,
/// cost, summed duration and a histogram of durations (``bins``) for the percentiles.
///
/// The stores keep it exact: the log writer adds each batch's figures in the batch's own
/// transaction (counting only the logs the batch inserted), a delete of logs subtracts theirs
/// in its transaction, a gateway takes its rollups with it, and the migration that made the
/// table filled it from the logs already there.
enum LogRollups {
    /// The histogram's bins: bin `i` holds durations below `bounds[i]` (and at or above the
    /// bound before it); the last bin holds everything above. 0-9 ms one bin per millisecond,
    /// then each bound a quarter above the last: a percentile read from the histogram is the
    /// bin's upper bound, at most 25% above the true value.
    static let bounds: [Int] = {
        var bounds = Array(1...10)
        var next = 10.0
        while bounds.count < 59 {
            next *= 1.25
            bounds.append(Int(next.rounded(.up)))
        }
        return bounds
    }()

    /// How many bins (the last one open-ended).
    static var binCount: Int { bounds.count + 1 }

    /// The bin of a duration in milliseconds.
    static func bin(_ duration: Int) -> Int {
        var low = 0
        var high = bounds.count
        while low < high {
            let middle = (low + high) / 2
            if duration < bounds[middle] { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// The value a percentile read from bin `i` is reported as: its upper bound (the open
    /// last bin, the bound below it).
    static func value(ofBin index: Int) -> Int {
        index < bounds.count ? bounds[index] : bounds[bounds.count - 1]
    }

    /// How many logs a gateway has (`?`: the gateway), read from the hourly rollups: a few
    /// thousand rows a year, where counting the logs would read millions.
    static let countSQL = "SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS n FROM log_rollups_hourly WHERE gateway_id = ?"

    static let histogramColumns = (0..<60).map { "h\($0)" }

    /// The two tables: per minute (any range of whole minutes) and per hour (ranges of whole
    /// hours in hour or day buckets: a day of logs is at most a few thousand rows there).
    enum Table: CaseIterable {
        case minute, hour

        var name: String { self == .minute ? "log_rollups" : "log_rollups_hourly" }
        /// The span of one row, in milliseconds: a row's `slot` is `created_at` over it.
        var unit: Int { self == .minute ? 60_000 : 3_600_000 }
    }

    /// What a row is keyed by.
    struct Key: Hashable {
        var gatewayID: String
        var slot: Int
        var provider: String
        var model: String
        var statusCode: Int
        var success: Bool
        var cached: Bool
    }

    /// What a row adds up.
    struct Figures {
        var requests = 0
        var tokensIn = 0
        var tokensOut = 0
        var cost = 0.0
        var durationTotal = 0
        var histogram = [Int](repeating: 0, count: 60)
    }

    /// The figures of `logs` by key in `table`; `sign` -1 for logs going away. The logs of a
    /// batch mostly share their key with the log before, which is then reused without hashing
    /// (hashing every log's strings cost the writer a tenth of its speed).
    static func deltas(_ logs: some Sequence<AIGatewayLog>, table: Table, sign: Int = 1) -> [Key: Figures] {
        var keys: [Key] = []
        var figures: [Figures] = []
        var positions: [Key: Int] = [:]
        var last: (key: Key, position: Int)?
        for log in logs {
            let key = Key(
                gatewayID: log.gatewayID, slot: Int(log.createdAt.timeIntervalSince1970 * 1000) / table.unit, provider: log.provider,
                model: log.model, statusCode: log.statusCode, success: log.success, cached: log.cached)
            let position: Int
            if let last, last.key == key {
                position = last.position
            } else if let known = positions[key] {
                position = known
            } else {
                position = keys.count
                keys.append(key)
                figures.append(Figures())
                positions[key] = position
            }
            last = (key, position)
            figures[position].requests += sign
            figures[position].tokensIn += sign * (log.tokensIn ?? 0)
            figures[position].tokensOut += sign * (log.tokensOut ?? 0)
            figures[position].cost += Double(sign) * (log.cost ?? 0)
            figures[position].durationTotal += sign * log.duration
            figures[position].histogram[bin(log.duration)] += sign
        }
        return Dictionary(uniqueKeysWithValues: zip(keys, figures))
    }

    // MARK: Statements

    static func createTable(_ table: Table, _ dialect: SQLDialect) -> String {
        let big = dialect.typeName(.bigInteger)
        return """
            CREATE TABLE \(table.name) (
                gateway_id TEXT NOT NULL,
                slot \(big) NOT NULL,
                provider TEXT NOT NULL,
                model TEXT NOT NULL,
                status_code INTEGER NOT NULL,
                success \(dialect.typeName(.boolean)) NOT NULL,
                cached \(dialect.typeName(.boolean)) NOT NULL,
                requests \(big) NOT NULL,
                tokens_in \(big) NOT NULL,
                tokens_out \(big) NOT NULL,
                cost \(dialect.typeName(.double)) NOT NULL,
                duration_total \(big) NOT NULL,
                \(histogramColumns.map { "\($0) \(big) NOT NULL" }.joined(separator: ", ")),
                PRIMARY KEY (gateway_id, slot, provider, model, status_code, success, cached)
            )
            """
    }

    /// For ranges over every gateway.
    static func slotIndex(_ table: Table) -> String { "CREATE INDEX \(table.name)_slot ON \(table.name) (slot)" }

    /// Everything a migration does to make the tables and fill them from the logs there.
    static func migration(_ dialect: SQLDialect) -> [String] {
        Table.allCases.flatMap { [createTable($0, dialect), slotIndex($0), backfill($0)] }
    }

    static let keyColumns = ["gateway_id", "slot", "provider", "model", "status_code", "success", "cached"]
    static let sumColumns = ["requests", "tokens_in", "tokens_out", "cost", "duration_total"] + histogramColumns

    /// Adds `deltas` to the table (rows made as needed); `?` placeholders, in batches of rows
    /// that stay under both databases' limits on bound values.
    static func upserts(_ deltas: [Key: Figures], table: Table) -> [(sql: String, values: [StoreValue])] {
        let columns = keyColumns + sumColumns
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let update = sumColumns.map { "\($0) = \(table.name).\($0) + excluded.\($0)" }.joined(separator: ", ")
        return Array(deltas).chunked(200).map { chunk in
            var values: [StoreValue] = []
            values.reserveCapacity(chunk.count * columns.count)
            for (key, figures) in chunk {
                values += [
                    .text(key.gatewayID), .integer(key.slot), .text(key.provider), .text(key.model), .integer(key.statusCode),
                    .bool(key.success), .bool(key.cached), .integer(figures.requests), .integer(figures.tokensIn),
                    .integer(figures.tokensOut), .double(figures.cost), .integer(figures.durationTotal),
                ]
                values += figures.histogram.map { .integer($0) }
            }
            let sql =
                "INSERT INTO \(table.name) (\(columns.joined(separator: ","))) VALUES "
                + Array(repeating: row, count: chunk.count).joined(separator: ",")
                + " ON CONFLICT (\(keyColumns.joined(separator: ","))) DO UPDATE SET \(update)"
            return (sql, values)
        }
    }

    /// The statements that add `logs` (or, with `sign` -1, take them away) in both tables, and
    /// then drop rows whose logs are all gone.
    static func changes(for logs: [AIGatewayLog], sign: Int = 1) -> [(sql: String, values: [StoreValue])] {
        guard !logs.isEmpty else { return [] }
        var statements: [(sql: String, values: [StoreValue])] = []
        for table in Table.allCases {
            statements += upserts(deltas(logs, table: table, sign: sign), table: table)
            if sign < 0 { statements.append(("DELETE FROM \(table.name) WHERE requests <= 0", [])) }
        }
        return statements
    }

    /// The columns a delete of logs returns, for ``deltas(_:sign:)``.
    static let deletedColumns = "gateway_id, created_at, provider, model, status_code, success, cached, tokens_in, tokens_out, cost, duration"

    /// A deleted log's figures, read back from a delete's `RETURNING` row.
    static func log(fromDeleted row: some StoreRow) -> AIGatewayLog {
        var log = AIGatewayLog(row: row)
        log.id = ""
        return log
    }

    /// Fills the table from the logs already stored (the migration that makes it).
    static func backfill(_ table: Table) -> String {
        let binOf = "CASE " + bounds.enumerated().map { "WHEN duration < \($1) THEN \($0)" }.joined(separator: " ") + " ELSE \(bounds.count) END"
        let histogram = (0..<60).map { "SUM(CASE WHEN \(binOf) = \($0) THEN 1 ELSE 0 END)" }.joined(separator: ", ")
        return """
            INSERT INTO \(table.name) (\((keyColumns + sumColumns).joined(separator: ",")))
            SELECT gateway_id, created_at / \(table.unit), provider, model, status_code, success, cached, COUNT(*),
              SUM(COALESCE(tokens_in, 0)), SUM(COALESCE(tokens_out, 0)), SUM(COALESCE(cost, 0)), SUM(duration), \(histogram)
            FROM logs GROUP BY gateway_id, created_at / \(table.unit), provider, model, status_code, success, cached
            """
    }

    // MARK: Analytics from the rollups

    /// The table that can answer `query`, if one can: conditions only on the rollups' own
    /// fields and no search; the hourly table for hour or day buckets over whole hours, the
    /// per-minute one for whole minutes. A range may also end in the current slot or later
    /// (the logs of the slot so far are all it has).
    static func table(for query: AnalyticsQuery, now: Int64) -> Table? {
        let fields: Set<LogField> = [.provider, .model, .statusCode, .success, .cached]
        guard query.search == nil, query.conditions.allSatisfy({ fields.contains($0.field) }) else { return nil }
        func fits(_ table: Table) -> Bool {
            let unit = Int64(table.unit)
            return query.start % unit == 0 && (query.end % unit == 0 || query.end >= now / unit * unit)
                && query.interval.milliseconds >= unit
        }
        return fits(.hour) ? .hour : fits(.minute) ? .minute : nil
    }

    /// One statement at the finest level (bucket and group); totals and groups are summed from
    /// its rows. Columns: `bucket`, `grp`, then ``sumColumns`` and `errors`, `cached_requests`.
    static func statement(table: Table, gatewayID: String?, query: AnalyticsQuery, dialect: SQLDialect)
        -> (sql: String, values: [StoreValue])
    {
        var filter = LogFilterSQL(gatewayID: gatewayID, conditions: query.conditions, dialect: dialect)
        let unit = Int64(table.unit)
        filter.add("slot >= ? AND slot < ?", [.integer(Int(query.start / unit)), .integer(Int((query.end + unit - 1) / unit))])
        let perBucket = query.interval.milliseconds / unit
        let bucket = perBucket == 1 ? "slot" : "slot / \(perBucket)"
        let group = AnalyticsSQL.groupExpression(query.groupBy)
        let sums = sumColumns.map { "CAST(SUM(\($0)) AS \($0 == "cost" ? "DOUBLE PRECISION" : "BIGINT")) AS \($0)" }
        let sql = """
            SELECT \(bucket) AS bucket, \(group) AS grp, \(sums.joined(separator: ", ")),
              CAST(SUM(CASE WHEN success THEN 0 ELSE requests END) AS BIGINT) AS errors,
              CAST(SUM(CASE WHEN cached THEN requests ELSE 0 END) AS BIGINT) AS cached_requests
            FROM \(table.name) WHERE \(filter.sql)
            GROUP BY bucket, grp
            ORDER BY bucket, requests DESC, grp
            """
        return (sql, filter.binds)
    }

    /// A row's sums, added up across rows; its percentiles read from the histogram.
    private struct Sums {
        var figures = AnalyticsFigures()
        var histogram = [Int](repeating: 0, count: 60)

        mutating func add(_ other: Sums) {
            figures.requests += other.figures.requests
            figures.errors += other.figures.errors
            figures.cached += other.figures.cached
            figures.tokensIn += other.figures.tokensIn
            figures.tokensOut += other.figures.tokensOut
            figures.cost += other.figures.cost
            figures.durationTotal += other.figures.durationTotal
            for index in histogram.indices { histogram[index] += other.histogram[index] }
        }

        /// The figures with the percentiles read from the histogram (nearest rank, the bin's bound).
        var finished: AnalyticsFigures {
            var figures = self.figures
            func percentile(_ p: Int) -> Int? {
                guard figures.requests > 0 else { return nil }
                let rank = (figures.requests * p + 99) / 100
                var seen = 0
                for (index, count) in histogram.enumerated() {
                    seen += count
                    if seen >= rank { return LogRollups.value(ofBin: index) }
                }
                return LogRollups.value(ofBin: histogram.count - 1)
            }
            figures.durationP50 = percentile(50)
            figures.durationP95 = percentile(95)
            return figures
        }
    }

    /// The answer from the statement's rows.
    static func analytics(query: AnalyticsQuery, rows: [some StoreRow]) -> GatewayAnalytics {
        let width = query.interval.milliseconds
        var total = Sums()
        var groups: [String: Sums] = [:]
        var buckets: [AnalyticsBucket] = []
        for row in rows {
            var sums = Sums()
            sums.figures = AnalyticsFigures(
                requests: row.integer("requests") ?? 0, errors: row.integer("errors") ?? 0, cached: row.integer("cached_requests") ?? 0,
                tokensIn: row.integer("tokens_in") ?? 0, tokensOut: row.integer("tokens_out") ?? 0, cost: row.double("cost") ?? 0,
                durationTotal: row.integer("duration_total") ?? 0)
            sums.histogram = histogramColumns.map { row.integer($0) ?? 0 }
            guard sums.figures.requests > 0 else { continue }
            let group = row.text("grp") ?? ""
            total.add(sums)
            groups[group, default: Sums()].add(sums)
            buckets.append(
                AnalyticsBucket(
                    start: Date(timeIntervalSince1970: Double(Int64(row.integer("bucket") ?? 0) * width) / 1000),
                    group: query.groupBy == nil ? nil : group, figures: sums.finished))
        }
        let groupList = query.groupBy == nil ? [] : groups.map { AnalyticsGroup(group: $0.key, figures: $0.value.finished) }
            .sorted { ($0.figures.requests, $1.group) > ($1.figures.requests, $0.group) }
        return GatewayAnalytics(
            start: Date(timeIntervalSince1970: Double(query.start) / 1000), end: Date(timeIntervalSince1970: Double(query.end) / 1000),
            interval: query.interval.rawValue, groupBy: query.groupBy?.rawValue, totals: total.finished, groups: groupList,
            buckets: buckets)
    }
}
