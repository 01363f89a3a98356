import AIGateway
import Foundation
import GatewayCore
import Logging
import NIOCore
import SQLiteNIO

/// Logs and gateways in an SQLite file in WAL mode.
///
/// Two connections: one for the log writer's batches (multi-row inserts, one transaction per
/// batch, nothing else ever runs inside those transactions) and one for everything else
/// (the management API's reads, single-statement patches and deletes, gateways). WAL lets
/// the API read while a batch is being written; SQLite's busy timeout orders the writes.
public final class SQLiteStore: DataStore {
    private let connection: SQLiteConnection
    let api: SQLiteConnection
    /// Every write takes its turn here first, so no write waits inside SQLite.
    private let writes = WriteTurns()
    /// The database file.
    public let path: String

    /// Rows per INSERT statement: 33 columns each stays under SQLite's 32,766 bound variables.
    static let rowsPerStatement = 400

    private init(connection: SQLiteConnection, api: SQLiteConnection, path: String) {
        self.connection = connection
        self.api = api
        self.path = path
    }

    /// Opens (creating if needed) the database at `path` and sets it up for concurrent readers.
    public static func open(path: String, logger: Logger = Logger(label: "aigw.sqlite")) async throws -> SQLiteStore {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        _ = try await connection.query("PRAGMA journal_mode=WAL").get()
        let api = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        // temp_store=MEMORY: a multi-row insert keeps a statement journal, which otherwise is a
        // temporary file created, written and deleted for every batch (strace: openat, fcntl,
        // write, close per batch).
        for pragma in [
            "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=5000", "PRAGMA foreign_keys=ON", "PRAGMA temp_store=MEMORY",
        ] {
            _ = try await connection.query(pragma).get()
            _ = try await api.query(pragma).get()
        }
        return SQLiteStore(connection: connection, api: api, path: path)
    }

    // MARK: - Schema

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
                    duration INTEGER NOT NULL,
                    request_type TEXT,
                    request_content_type TEXT,
                    status_code INTEGER NOT NULL,
                    response_content_type TEXT,
                    success INTEGER NOT NULL,
                    cached INTEGER NOT NULL,
                    tokens_in INTEGER,
                    tokens_out INTEGER,
                    cached_tokens_in INTEGER,
                    cache_write_tokens_in INTEGER,
                    metadata TEXT,
                    step INTEGER,
                    cost REAL,
                    custom_cost INTEGER,
                    request_size INTEGER NOT NULL,
                    request_head TEXT,
                    request_head_complete INTEGER NOT NULL,
                    response_size INTEGER NOT NULL,
                    response_head TEXT,
                    response_head_complete INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    event_id TEXT,
                    feedback INTEGER,
                    score INTEGER,
                    error TEXT
                )
                """,
                "CREATE INDEX logs_gateway_created ON logs (gateway_id, created_at DESC)",
                "CREATE INDEX logs_gateway_provider ON logs (gateway_id, provider, created_at DESC)",
                """
                CREATE TABLE log_bodies (
                    log_id TEXT PRIMARY KEY REFERENCES logs (id) ON DELETE CASCADE,
                    request BLOB,
                    response BLOB
                )
                """,
            ]
        ),
        (
            2,
            [
                """
                CREATE TABLE gateways (
                    id TEXT PRIMARY KEY,
                    settings TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    modified_at INTEGER NOT NULL
                )
                """,
                // Deleting a gateway deletes its logs in the same statement.
                """
                CREATE TRIGGER gateway_deleted AFTER DELETE ON gateways
                BEGIN DELETE FROM logs WHERE gateway_id = OLD.id; END
                """,
                // The logs API's common filters and orderings.
                "CREATE INDEX logs_gateway_model ON logs (gateway_id, model, created_at DESC)",
                "CREATE INDEX logs_gateway_success ON logs (gateway_id, success, created_at DESC)",
                "CREATE INDEX logs_gateway_event ON logs (gateway_id, event_id) WHERE event_id IS NOT NULL",
            ]
        ),
        (
            3,
            [
                // Run tokens as SHA-256 digests; provider keys as AES-GCM sealed boxes.
                """
                CREATE TABLE run_tokens (
                    id TEXT PRIMARY KEY,
                    gateway_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                )
                """,
                """
                CREATE TABLE provider_keys (
                    id TEXT PRIMARY KEY,
                    gateway_id TEXT NOT NULL,
                    alias TEXT NOT NULL,
                    provider_slug TEXT NOT NULL,
                    sealed BLOB NOT NULL,
                    default_config INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    UNIQUE (gateway_id, provider_slug, alias)
                )
                """,
                """
                CREATE TRIGGER gateway_credentials_deleted AFTER DELETE ON gateways
                BEGIN
                    DELETE FROM run_tokens WHERE gateway_id = OLD.id;
                    DELETE FROM provider_keys WHERE gateway_id = OLD.id;
                END
                """,
            ]
        ),
    ]

    public func migrate() async throws {
        try await execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
        let applied = Set(try await rows("SELECT version FROM schema_migrations").compactMap { $0.column("version")?.integer.map { Int($0) } })
        for migration in Self.migrations where !applied.contains(migration.version) {
            try await transaction {
                for statement in migration.statements { try await self.execute(statement) }
                try await self.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [.integer(migration.version), .integer(Int(Date().timeIntervalSince1970))])
            }
        }
    }

    // MARK: - Writing

    static let columns = [
        "id", "gateway_id", "provider", "model", "model_type", "path", "duration", "request_type",
        "request_content_type", "status_code", "response_content_type", "success", "cached", "tokens_in",
        "tokens_out", "cached_tokens_in", "cache_write_tokens_in", "metadata", "step", "cost", "custom_cost",
        "request_size", "request_head", "request_head_complete", "response_size", "response_head",
        "response_head_complete", "created_at", "event_id", "feedback", "score", "error",
    ]

    public func insert(_ logs: [StoredLog]) async throws {
        guard !logs.isEmpty else { return }
        try await transaction {
            for chunk in logs.chunked(Self.rowsPerStatement) {
                try await self.insertRows(chunk)
                try await self.insertBodies(chunk.filter { $0.requestBody != nil || $0.responseBody != nil })
            }
        }
    }

    /// A value too big, of the wrong type or out of range, or a broken constraint, is about a
    /// value some record holds; busy, I/O and full-disk errors are not.
    public func isRefusal(_ error: any Error) -> Bool {
        switch (error as? SQLiteError)?.reason {
        case .tooBig, .mismatch, .range, .constraint, .constraintCheckFailed, .constraintForeignKeyFailed,
            .constraintNotNullFailed, .constraintPrimaryKeyFailed, .constraintUniqueFailed,
            .constraintStrictDataTypeFailed, .constraintTriggerFailed:
            true
        default:
            false
        }
    }

    private func insertRows(_ logs: ArraySlice<StoredLog>) async throws {
        let placeholders = "(" + Array(repeating: "?", count: Self.columns.count).joined(separator: ",") + ")"
        let sql =
            "INSERT INTO logs (\(Self.columns.joined(separator: ","))) VALUES "
            + Array(repeating: placeholders, count: logs.count).joined(separator: ",")
            // Idempotent: a batch retried after a commit whose acknowledgement was lost writes nothing twice.
            + " ON CONFLICT (id) DO NOTHING"
        var binds: [SQLiteData] = []
        binds.reserveCapacity(logs.count * Self.columns.count)
        for stored in logs {
            let log = stored.log
            binds += [
                .text(log.id), .text(log.gatewayID), .text(log.provider), .text(log.model), .optionalText(log.modelType),
                .text(log.path), .integer(log.duration), .optionalText(log.requestType),
                .optionalText(log.requestContentType), .integer(log.statusCode), .optionalText(log.responseContentType),
                .bool(log.success), .bool(log.cached), .optionalInteger(log.tokensIn), .optionalInteger(log.tokensOut),
                .optionalInteger(stored.usage.cachedInput), .optionalInteger(stored.usage.cacheCreationInput),
                .optionalText(log.metadata.map(MetadataJSON.encode)), .optionalInteger(log.step),
                log.cost.map(SQLiteData.float) ?? .null, log.customCost.map(SQLiteData.bool) ?? .null,
                .integer(log.requestSize), .optionalText(log.requestHead), .bool(log.requestHeadComplete),
                .integer(log.responseSize), .optionalText(log.responseHead), .bool(log.responseHeadComplete),
                .integer(Int(log.createdAt.timeIntervalSince1970 * 1000)), .optionalText(log.eventID),
                .optionalInteger(log.feedback), .optionalInteger(log.score), .optionalText(log.error),
            ]
        }
        try await execute(sql, binds)
    }

    private func insertBodies(_ logs: [StoredLog]) async throws {
        guard !logs.isEmpty else { return }
        let sql =
            "INSERT INTO log_bodies (log_id, request, response) VALUES "
            + Array(repeating: "(?,?,?)", count: logs.count).joined(separator: ",")
            + " ON CONFLICT (log_id) DO NOTHING"
        var binds: [SQLiteData] = []
        for stored in logs {
            binds.append(.text(stored.log.id))
            binds.append(stored.requestBody.map { .blob(ByteBuffer(bytes: $0)) } ?? .null)
            binds.append(stored.responseBody.map { .blob(ByteBuffer(bytes: $0)) } ?? .null)
        }
        try await execute(sql, binds)
    }

    // MARK: - Reading

    public func log(id: String, gatewayID: String) async throws -> AIGatewayLog? {
        try await api.query("SELECT * FROM logs WHERE id = ? AND gateway_id = ?", [.text(id), .text(gatewayID)])
            .first.map(Self.decodeLog)
    }

    public func logs(gatewayID: String, query: LogQuery) async throws -> LogPage {
        let page = LogFilterSQL.page(gatewayID: gatewayID, query: query, columns: "*", dialect: .sqlite)
        let rows = try await api.query(page.sql, page.values.map(SQLiteData.init))
        let total = try await api.query(page.countSQL, page.countValues.map(SQLiteData.init))
        return LogPage(logs: rows.map(Self.decodeLog), totalCount: Int(total.first?.column("n")?.integer ?? 0))
    }

    public func patchLog(id: String, gatewayID: String, patch: LogPatch) async throws -> AIGatewayLog? {
        let set = LogPatchSQL(patch)
        guard !set.isEmpty else { return try await log(id: id, gatewayID: gatewayID) }
        let rows = try await write(
            "UPDATE logs SET \(set.sql) WHERE id = ? AND gateway_id = ? RETURNING *",
            set.values.map(SQLiteData.init) + [.text(id), .text(gatewayID)])
        return rows.first.map(Self.decodeLog)
    }

    public func deleteLogs(gatewayID: String, deletion: LogDeletion) async throws -> Int {
        let statement = LogFilterSQL.delete(gatewayID: gatewayID, deletion: deletion, dialect: .sqlite)
        return try await write(statement.sql, statement.values.map(SQLiteData.init)).count
    }

    // MARK: - Gateways

    public func gateways() async throws -> [GatewaySettings] {
        try await api.query("SELECT settings FROM gateways ORDER BY id").compactMap { row in
            guard let text = row.column("settings")?.string else { return nil }
            return try Self.settingsDecoder.decode(GatewaySettings.self, from: Data(text.utf8))
        }
    }

    public func createGateway(_ settings: GatewaySettings) async throws -> Bool {
        !(try await write(
            "INSERT INTO gateways (id, settings, created_at, modified_at) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (id) DO NOTHING RETURNING id",
            try Self.gatewayBinds(settings)
        ).isEmpty)
    }

    public func saveGateway(_ settings: GatewaySettings) async throws {
        _ = try await write(
            "INSERT INTO gateways (id, settings, created_at, modified_at) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, modified_at = excluded.modified_at",
            try Self.gatewayBinds(settings))
    }

    private static func gatewayBinds(_ settings: GatewaySettings) throws -> [SQLiteData] {
        let json = String(decoding: try settingsEncoder.encode(settings), as: UTF8.self)
        return [
            .text(settings.id), .text(json), .integer(Int(settings.createdAt.timeIntervalSince1970 * 1000)),
            .integer(Int(settings.modifiedAt.timeIntervalSince1970 * 1000)),
        ]
    }

    public func deleteGateway(id: String) async throws -> Bool {
        !(try await write("DELETE FROM gateways WHERE id = ? RETURNING id", [.text(id)]).isEmpty)
    }

    static let settingsEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static let settingsDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()

    public func separateBodies(id: String) async throws -> (request: [UInt8]?, response: [UInt8]?) {
        guard let row = try await api.query("SELECT request, response FROM log_bodies WHERE log_id = ?", [.text(id)]).first
        else { return (nil, nil) }
        let request = row.column("request")?.blob.map { Array($0.readableBytesView) }
        let response = row.column("response")?.blob.map { Array($0.readableBytesView) }
        return (request, response)
    }

    public func count(gatewayID: String?) async throws -> Int {
        let result =
            if let gatewayID {
                try await api.query("SELECT COUNT(*) AS n FROM logs WHERE gateway_id = ?", [.text(gatewayID)])
            } else {
                try await api.query("SELECT COUNT(*) AS n FROM logs")
            }
        return Int(result.first?.column("n")?.integer ?? 0)
    }

    public func ping() async throws {
        _ = try await api.query("SELECT 1 AS one")
    }

    public func close() async throws {
        try await api.close()
        try await connection.close()
    }

    static func decodeLog(_ row: SQLiteRow) -> AIGatewayLog {
        func text(_ name: String) -> String? { row.column(name)?.string }
        func int(_ name: String) -> Int? { row.column(name)?.integer.map { Int($0) } }
        func bool(_ name: String) -> Bool { (row.column(name)?.integer ?? 0) != 0 }
        let metadata = text("metadata").flatMap { try? JSONDecoder().decode(LogMetadata.self, from: Data($0.utf8)) }
        return AIGatewayLog(
            id: text("id") ?? "", gatewayID: text("gateway_id") ?? "", provider: text("provider") ?? "",
            model: text("model") ?? "", modelType: text("model_type"), path: text("path") ?? "",
            duration: int("duration") ?? 0, requestType: text("request_type"),
            requestContentType: text("request_content_type"), statusCode: int("status_code") ?? 0,
            responseContentType: text("response_content_type"), success: bool("success"), cached: bool("cached"),
            tokensIn: int("tokens_in"), tokensOut: int("tokens_out"), metadata: metadata, step: int("step"),
            cost: row.column("cost")?.double, customCost: row.column("custom_cost")?.integer.map { $0 != 0 },
            requestSize: int("request_size") ?? 0, requestHead: text("request_head"),
            requestHeadComplete: bool("request_head_complete"), responseSize: int("response_size") ?? 0,
            responseHead: text("response_head"), responseHeadComplete: bool("response_head_complete"),
            createdAt: Date(timeIntervalSince1970: Double(int("created_at") ?? 0) / 1000), eventID: text("event_id"),
            feedback: int("feedback"), score: int("score"), error: text("error"))
    }

    // MARK: - Statements

    private func execute(_ sql: String, _ binds: [SQLiteData] = []) async throws {
        try await connection.query(sql, binds) { _ in }
    }

    private func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await connection.query(sql, binds)
    }

    /// One write statement of the management API, in its turn.
    func write(_ sql: String, _ binds: [SQLiteData]) async throws -> [SQLiteRow] {
        let api = self.api
        return try await writes.run { try await api.query(sql, binds) }
    }

    /// Runs `body` in one transaction, in its turn, rolled back if it throws. Only the log
    /// writer (and migrations) use this connection, so nothing else runs inside its transactions.
    private func transaction(_ body: @Sendable () async throws -> Void) async throws {
        try await writes.run {
            try await self.execute("BEGIN IMMEDIATE")
            do {
                try await body()
                try await self.execute("COMMIT")
            } catch {
                try? await self.execute("ROLLBACK")
                throw error
            }
        }
    }
}

extension SQLiteData {
    init(_ value: StoreValue) {
        switch value {
        case .text(let text): self = .text(text)
        case .integer(let number): self = .integer(number)
        case .double(let number): self = .float(number)
        case .bool(let flag): self = .integer(flag ? 1 : 0)
        case .null: self = .null
        }
    }

    static func optionalInteger(_ value: Int?) -> SQLiteData { value.map { .integer(SQLiteInt64($0)) } ?? .null }
    static func optionalText(_ value: String?) -> SQLiteData { value.map(SQLiteData.text) ?? .null }
    static func bool(_ value: Bool) -> SQLiteData { .integer(value ? 1 : 0) }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
