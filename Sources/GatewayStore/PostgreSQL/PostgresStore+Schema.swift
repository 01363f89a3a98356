import Foundation
import PostgresNIO

extension PostgresStore {
    /// Versioned migrations, applied in order, each once.
    static let migrations: [(version: Int, statements: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE logs (
                    id TEXT PRIMARY KEY,
                    gateway_id TEXT NOT NULL,
                    provider TEXT NOT NULL,
                    model TEXT NOT NULL,
                    model_type TEXT,
                    path TEXT NOT NULL,
                    duration BIGINT NOT NULL,
                    request_type TEXT,
                    request_content_type TEXT,
                    status_code INTEGER NOT NULL,
                    response_content_type TEXT,
                    success BOOLEAN NOT NULL,
                    cached BOOLEAN NOT NULL,
                    tokens_in BIGINT,
                    tokens_out BIGINT,
                    cached_tokens_in BIGINT,
                    cache_write_tokens_in BIGINT,
                    metadata JSONB,
                    step INTEGER,
                    cost DOUBLE PRECISION,
                    custom_cost BOOLEAN,
                    request_size BIGINT NOT NULL,
                    request_head TEXT,
                    request_head_complete BOOLEAN NOT NULL,
                    response_size BIGINT NOT NULL,
                    response_head TEXT,
                    response_head_complete BOOLEAN NOT NULL,
                    created_at BIGINT NOT NULL,
                    event_id TEXT,
                    feedback INTEGER,
                    score INTEGER,
                    error TEXT
                )
                """,
                // The logs API's filters and orderings.
                "CREATE INDEX logs_gateway_created ON logs (gateway_id, created_at DESC)",
                "CREATE INDEX logs_gateway_provider ON logs (gateway_id, provider, created_at DESC)",
                "CREATE INDEX logs_gateway_model ON logs (gateway_id, model, created_at DESC)",
                "CREATE INDEX logs_gateway_success ON logs (gateway_id, success, created_at DESC)",
                "CREATE INDEX logs_gateway_event ON logs (gateway_id, event_id) WHERE event_id IS NOT NULL",
                "CREATE INDEX logs_metadata ON logs USING GIN (metadata)",
                """
                CREATE TABLE log_bodies (
                    log_id TEXT PRIMARY KEY REFERENCES logs (id) ON DELETE CASCADE,
                    request BYTEA,
                    response BYTEA
                )
                """,
                """
                CREATE TABLE gateways (
                    id TEXT PRIMARY KEY,
                    settings JSONB NOT NULL,
                    created_at BIGINT NOT NULL,
                    modified_at BIGINT NOT NULL
                )
                """,
                // Run tokens as SHA-256 digests; provider keys as AES-GCM sealed boxes.
                """
                CREATE TABLE run_tokens (
                    id TEXT PRIMARY KEY,
                    gateway_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE provider_keys (
                    id TEXT PRIMARY KEY,
                    gateway_id TEXT NOT NULL,
                    alias TEXT NOT NULL,
                    provider_slug TEXT NOT NULL,
                    sealed BYTEA NOT NULL,
                    default_config BOOLEAN NOT NULL,
                    created_at BIGINT NOT NULL,
                    UNIQUE (gateway_id, provider_slug, alias)
                )
                """,
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
