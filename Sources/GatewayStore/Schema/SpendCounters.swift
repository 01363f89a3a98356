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
