import GatewayCore

/// The table of spend-limit counters (SPEC section 11): one row per gateway, rule, partition
/// and window, holding the USD charged to it. Statements use `?` placeholders.
enum SpendCounters {
    static func createTable(_ dialect: SQLDialect) -> String {
        """
        CREATE TABLE spend_counters (
            gateway_id TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            partition_key TEXT NOT NULL,
            window_seconds INTEGER NOT NULL,
            window_start \(dialect.typeName(.bigInteger)) NOT NULL,
            spent \(dialect.typeName(.double)) NOT NULL,
            PRIMARY KEY (gateway_id, rule_id, partition_key, window_seconds, window_start)
        )
        """
    }

    /// PostgreSQL: each process's last write of charges (``PostgresSpendLedger``), so that a
    /// read tells which of that process's writes it includes.
    static let createWriters = """
        CREATE TABLE spend_writers (
            id TEXT PRIMARY KEY,
            seq BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """

    /// The conditions selecting `keys` (all of one gateway), with their values.
    private static func matching(_ keys: [SpendCounterKey]) -> (sql: String, values: [StoreValue]) {
        let condition = Array(
            repeating: "(c.rule_id = ? AND c.partition_key = ? AND c.window_seconds = ? AND c.window_start = ?)", count: keys.count)
        var values: [StoreValue] = []
        for key in keys {
            values += [.text(key.ruleID), .text(key.partition), .integer(key.windowSeconds), .integer(key.windowStart)]
        }
        return (condition.joined(separator: " OR "), values)
    }

    /// PostgreSQL: the counters `keys` name and, on every row, the last write of `writer` the
    /// same snapshot holds (`seen`; NULL when none). At least one row comes back.
    static func selectSeen(_ keys: [SpendCounterKey], writer: String) -> (sql: String, values: [StoreValue]) {
        let matching = matching(keys)
        let sql =
            "SELECT w.seq AS seen, c.rule_id, c.partition_key, c.window_seconds, c.window_start, c.spent FROM (SELECT 1 AS one) o "
            + "LEFT JOIN spend_writers w ON w.id = ? LEFT JOIN spend_counters c ON c.gateway_id = ? AND (\(matching.sql))"
        return (sql, [.text(writer), .text(keys.first?.gatewayID ?? "")] + matching.values)
    }

    /// PostgreSQL: adds amounts to counters and records the write as `writer`'s `seq`, in one
    /// statement (so a read sees both or neither).
    static func addAsWrite(_ amounts: [(key: SpendCounterKey, usd: Double)], writer: String, seq: Int, at time: Int)
        -> (sql: String, values: [StoreValue])
    {
        let add = add(amounts)
        return (
            "WITH w AS (INSERT INTO spend_writers (id, seq, updated_at) VALUES (?, ?, ?) "
                + "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at) " + add.sql,
            [.text(writer), .integer(seq), .integer(time)] + add.values
        )
    }

    static let deleteIdleWriters = "DELETE FROM spend_writers WHERE updated_at < ?"

    /// Adds amounts to counters, creating those not there.
    static func add(_ amounts: [(key: SpendCounterKey, usd: Double)]) -> (sql: String, values: [StoreValue]) {
        let rows = Array(repeating: "(?, ?, ?, ?, ?, ?)", count: amounts.count).joined(separator: ", ")
        var values: [StoreValue] = []
        for (key, usd) in amounts {
            values += [
                .text(key.gatewayID), .text(key.ruleID), .text(key.partition), .integer(key.windowSeconds),
                .integer(key.windowStart), .double(usd),
            ]
        }
        let sql =
            "INSERT INTO spend_counters (gateway_id, rule_id, partition_key, window_seconds, window_start, spent) VALUES "
            + rows
            + " ON CONFLICT (gateway_id, rule_id, partition_key, window_seconds, window_start) DO UPDATE SET spent = spend_counters.spent + excluded.spent"
        return (sql, values)
    }

    /// Drops counters no check reads any more (older than the window before the current one).
    static let deleteEnded = "DELETE FROM spend_counters WHERE window_start + 2 * window_seconds < ?"

    static let selectGateway =
        "SELECT rule_id, partition_key, window_seconds, window_start, spent FROM spend_counters WHERE gateway_id = ?"

    /// Reads a row back into its key (the gateway is the one asked about).
    static func key(_ row: some StoreRow, gatewayID: String) -> SpendCounterKey {
        SpendCounterKey(
            gatewayID: gatewayID, ruleID: row.text("rule_id") ?? "", partition: row.text("partition_key") ?? "",
            windowSeconds: row.integer("window_seconds") ?? 0, windowStart: row.integer("window_start") ?? 0)
    }
}
