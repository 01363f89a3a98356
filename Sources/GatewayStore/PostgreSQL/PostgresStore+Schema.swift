import Foundation
import PostgresNIO

extension PostgresStore {
    /// Versioned migrations, applied in order, each once. The tables both stores have are
    /// defined once (``LogColumns``, ``GatewayTables``); the shared state is PostgreSQL's own.
    static let migrations: [(version: Int, statements: [String])] = [
        (
            1,
            [LogColumns.createTable(.postgres)] + LogColumns.indexes + [
                "CREATE INDEX logs_metadata ON logs USING GIN (metadata)",
                LogColumns.createBodiesTable(.postgres),
                GatewayTables.createGateways(.postgres),
                GatewayTables.createRunTokens(.postgres),
                GatewayTables.createProviderKeys(.postgres),
                // Rate-limit windows shared by every process (SPEC section 7): fixed windows count
                // here, sliding windows keep their admissions.
                """
                CREATE TABLE rate_windows (
                    gateway_id TEXT NOT NULL,
                    window_start BIGINT NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (gateway_id, window_start)
                )
                """,
                """
                CREATE TABLE rate_admissions (
                    gateway_id TEXT NOT NULL,
                    admitted_at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX rate_admissions_gateway ON rate_admissions (gateway_id, admitted_at)",
            ]
        ),
        (
            2,
            [
                // The optional shared cache tier (cache.shared).
                """
                CREATE TABLE cache_entries (
                    key TEXT PRIMARY KEY,
                    gateway_id TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    headers TEXT NOT NULL,
                    chunks BYTEA NOT NULL,
                    expires_at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX cache_entries_gateway ON cache_entries (gateway_id)",
                "CREATE INDEX cache_entries_expiry ON cache_entries (expires_at)",
            ]
        ),
        (3, [LogColumns.analyticsIndex]),
        (4, [GatewayTables.createDocuments(.postgres), GatewayTables.documentsIndex]),
        (5, LogRollups.migration(.postgres) + [LogColumns.dropAnalyticsIndex]),
        (6, [SpendCounters.createTable(.postgres), SpendCounters.createWriters]),
        (7, LogColumns.addRouteColumns(.postgres)),
        (8, LogColumns.addProtectionColumns(.postgres)),
        (9, LogpushTables.create(.postgres, postgres: true)),
    ]

    /// Brings the schema to the newest version, under an advisory lock so that processes
    /// starting together apply each migration once.
    public func migrate() async throws {
        try await transaction { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(7274727)", logger: logger)
            _ = try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
                logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger)
                .decode(Int.self)
            {
                applied.insert(version)
            }
            for migration in Self.migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let now = Int(Date().timeIntervalSince1970)
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(migration.version), \(now))", logger: logger)
            }
        }
    }
}
