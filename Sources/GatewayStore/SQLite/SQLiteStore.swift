import AIGateway
import Foundation
import GatewayCore
import Logging
import NIOCore
import SQLiteNIO
import Synchronization
import ServiceLifecycle

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
    private let isOpen = Mutex(true)

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
        // Before any table exists (a new file), so that space freed by deleted logs can be
        // given back a little at a time (``reclaimSpace()``); on an existing file it is a no-op.
        _ = try await connection.query("PRAGMA auto_vacuum=INCREMENTAL").get()
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

    /// Versioned migrations, applied in order, each once. The tables are defined once for
    /// both stores (``LogColumns``, ``GatewayTables``); SQLite adds its triggers.
    static let migrations: [(version: Int, statements: [String])] = [
        (1, [LogColumns.createTable(.sqlite)] + LogColumns.indexes.prefix(2) + [LogColumns.createBodiesTable(.sqlite)]),
        (
            2,
            [
                GatewayTables.createGateways(.sqlite),
                // Deleting a gateway deletes its logs in the same statement.
                """
                CREATE TRIGGER gateway_deleted AFTER DELETE ON gateways
                BEGIN DELETE FROM logs WHERE gateway_id = OLD.id; END
                """,
            ] + LogColumns.indexes.dropFirst(2)
        ),
        (
            3,
            [
                GatewayTables.createRunTokens(.sqlite),
                GatewayTables.createProviderKeys(.sqlite),
                """
                CREATE TRIGGER gateway_credentials_deleted AFTER DELETE ON gateways
                BEGIN
                    DELETE FROM run_tokens WHERE gateway_id = OLD.id;
                    DELETE FROM provider_keys WHERE gateway_id = OLD.id;
                END
                """,
            ]
        ),
        (4, [LogColumns.analyticsIndex]),
        (
            5,
            [
                GatewayTables.createDocuments(.sqlite), GatewayTables.documentsIndex,
                """
                CREATE TRIGGER gateway_documents_deleted AFTER DELETE ON gateways
                BEGIN DELETE FROM gateway_documents WHERE gateway_id = OLD.id; END
                """,
            ]
        ),
        (
            6,
            // Analytics' rollups, filled from the logs already there, and gone with their gateway;
            // they answer analytics over every gateway, which version 4's index served.
            LogRollups.migration(.sqlite) + [
                LogColumns.dropAnalyticsIndex,
                """
                CREATE TRIGGER gateway_rollups_deleted AFTER DELETE ON gateways
                BEGIN
                    DELETE FROM log_rollups WHERE gateway_id = OLD.id;
                    DELETE FROM log_rollups_hourly WHERE gateway_id = OLD.id;
                END
                """
            ]
        ),
        (
            7,
            [
                SpendCounters.createTable(.sqlite),
                """
                CREATE TRIGGER gateway_spend_deleted AFTER DELETE ON gateways
                BEGIN DELETE FROM spend_counters WHERE gateway_id = OLD.id; END
                """,
            ]
        ),
        (8, LogColumns.addRouteColumns(.sqlite)),
        (9, LogColumns.addProtectionColumns(.sqlite)),
        (10, LogpushTables.create(.sqlite, postgres: false)),
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

    public func insert(_ logs: [StoredLog]) async throws {
        guard !logs.isEmpty else { return }
        try await transaction {
            var added: [AIGatewayLog] = []
            added.reserveCapacity(logs.count)
            let lastBefore = try await self.rows("SELECT COALESCE(MAX(rowid), 0) AS last FROM logs").first?.column("last")?.integer ?? 0
            for chunk in logs.chunked(Self.rowsPerStatement) {
                switch try await self.insertRows(chunk, after: lastBefore) {
                case nil: added += chunk.lazy.map(\.log)
                case let ids?:
                    let inserted = Set(ids)
                    added += chunk.lazy.filter { inserted.contains($0.log.id) }.map(\.log)
                }
                try await self.insertBodies(chunk.filter { $0.requestBody != nil || $0.responseBody != nil })
            }
            // The rollups count what this batch inserted, in its transaction.
            for change in LogRollups.changes(for: added) { try await self.execute(change.sql, change.values.map(SQLiteData.init)) }
            // Logpush's queue gains what this batch stored, in its transaction.
            if let queued = LogpushTables.enqueue(added, of: logs) {
                try await self.execute(queued.sql, queued.values.map(SQLiteData.init))
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

    /// Inserts the rows; returns nil when all of them were inserted (nearly always, which
    /// `changes()` tells in one row), else the ids of those that were (a retried batch's rows
    /// already there are not): the batch's rows are those past `lastBefore`, the table's last
    /// rowid before the batch.
    private func insertRows(_ logs: ArraySlice<StoredLog>, after lastBefore: Int) async throws -> [String]? {
        let columns = LogColumns.all
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let sql =
            "INSERT INTO logs (\(LogColumns.names.joined(separator: ","))) VALUES "
            + Array(repeating: placeholders, count: logs.count).joined(separator: ",")
            // Idempotent: a batch retried after a commit whose acknowledgement was lost writes nothing twice.
            + " ON CONFLICT (id) DO NOTHING"
        var binds: [SQLiteData] = []
        binds.reserveCapacity(logs.count * columns.count)
        for stored in logs {
            for column in columns { binds.append(SQLiteData(column.value(stored))) }
        }
        try await execute(sql, binds)
        let changed = try await rows("SELECT changes() AS n").first?.column("n")?.integer ?? 0
        if changed == logs.count { return nil }
        return try await rows("SELECT id FROM logs WHERE rowid > ?", [.integer(lastBefore)]).compactMap { $0.column("id")?.string }
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
            .first.map(AIGatewayLog.init(row:))
    }

    public func logs(gatewayID: String, query: LogQuery) async throws -> LogPage {
        let page = LogFilterSQL.page(gatewayID: gatewayID, query: query, columns: "*", dialect: .sqlite)
        let rows = try await api.query(page.sql, page.values.map(SQLiteData.init))
        let total = try await api.query(page.countSQL, page.countValues.map(SQLiteData.init))
        return LogPage(logs: rows.map(AIGatewayLog.init(row:)), totalCount: Int(total.first?.column("n")?.integer ?? 0))
    }

    public func analytics(gatewayID: String?, query: AnalyticsQuery) async throws -> GatewayAnalytics {
        if let table = LogRollups.table(for: query, now: Int64(Date().timeIntervalSince1970 * 1000)) {
            let statement = LogRollups.statement(table: table, gatewayID: gatewayID, query: query, dialect: .sqlite)
            return LogRollups.analytics(query: query, rows: try await api.query(statement.sql, statement.values.map(SQLiteData.init)))
        }
        func rows(_ level: AnalyticsSQL.Level) async throws -> [SQLiteRow] {
            let statement = AnalyticsSQL.statement(level: level, gatewayID: gatewayID, query: query, dialect: .sqlite)
            return try await api.query(statement.sql, statement.values.map(SQLiteData.init))
        }
        return AnalyticsSQL.analytics(
            query: query, total: try await rows(.total), groups: query.groupBy == nil ? [] : try await rows(.groups),
            buckets: try await rows(.buckets))
    }

    public func patchLog(id: String, gatewayID: String, patch: LogPatch) async throws -> AIGatewayLog? {
        let set = LogPatchSQL(patch)
        guard !set.isEmpty else { return try await log(id: id, gatewayID: gatewayID) }
        let rows = try await write(
            "UPDATE logs SET \(set.sql) WHERE id = ? AND gateway_id = ? RETURNING *",
            set.values.map(SQLiteData.init) + [.text(id), .text(gatewayID)])
        return rows.first.map(AIGatewayLog.init(row:))
    }

    public func deleteLogs(gatewayID: String, deletion: LogDeletion) async throws -> Int {
        let deleted = try await deleteInTurn(gatewayID: gatewayID) { _ in deletion }
        if deleted > 0 { try await reclaimSpace() }
        return deleted
    }

    public func logCount(gatewayID: String) async throws -> Int {
        try await api.query(LogRollups.countSQL, [.text(gatewayID)]).first?.integer("n") ?? 0
    }

    public func trimLogs(gatewayID: String, keep: Int, newestFirst: Bool) async throws -> Int {
        let api = self.api
        let removed = try await deleteInTurn(gatewayID: gatewayID) { gatewayID in
            let count = try await api.query(LogRollups.countSQL, [.text(gatewayID)]).first?.integer("n") ?? 0
            return count > keep ? LogDeletion.excess(count - keep, newestFirst: newestFirst) : nil
        }
        if removed > 0 { try await reclaimSpace() }
        return removed
    }

    /// Gives freed pages back to the file system, a bounded number at a time (2,000 pages, 8 MB),
    /// after logs are deleted: a file made with incremental auto-vacuum (every file this version
    /// creates) then shrinks as logs go, without a `VACUUM` that would rewrite it whole. (On an
    /// older file it does nothing; freed pages are reused by new logs there.)
    func reclaimSpace() async throws {
        _ = try await write("PRAGMA incremental_vacuum(2000)", [])
    }

    /// Deletes the logs `deletion` selects (nil: none) in one transaction of its own, in its
    /// turn, with their rollups: what to delete is decided inside the transaction, so a count
    /// read there holds until the delete.
    private func deleteInTurn(gatewayID: String, _ deletion: @Sendable (String) async throws -> LogDeletion?) async throws -> Int {
        let api = self.api
        return try await writes.run {
            _ = try await api.query("BEGIN IMMEDIATE")
            do {
                var count = 0
                if let deletion = try await deletion(gatewayID) {
                    let statement = LogFilterSQL.delete(gatewayID: gatewayID, deletion: deletion, dialect: .sqlite)
                    let deleted = try await api.query(statement.sql, statement.values.map(SQLiteData.init))
                    for change in LogRollups.changes(for: deleted.map(LogRollups.log(fromDeleted:)), sign: -1) {
                        _ = try await api.query(change.sql, change.values.map(SQLiteData.init))
                    }
                    count = deleted.count
                }
                _ = try await api.query("COMMIT")
                return count
            } catch {
                _ = try? await api.query("ROLLBACK")
                throw error
            }
        }
    }

    // MARK: - Gateways

    public func gateways() async throws -> [GatewaySettings] {
        try await api.query(GatewayTables.selectGateways(.sqlite)).compactMap(GatewayTables.gateway)
    }

    public func createGateway(_ settings: GatewaySettings) async throws -> Bool {
        !(try await write(GatewayTables.insertGateway(.sqlite), try GatewayTables.gatewayValues(settings).map(SQLiteData.init)).isEmpty)
    }

    public func saveGateway(_ settings: GatewaySettings) async throws {
        _ = try await write(GatewayTables.upsertGateway(.sqlite), try GatewayTables.gatewayValues(settings).map(SQLiteData.init))
    }

    /// Deletes a gateway; its triggers delete its logs and credentials in the same statement.
    public func deleteGateway(id: String) async throws -> Bool {
        !(try await write("DELETE FROM gateways WHERE id = ? RETURNING id", [.text(id)]).isEmpty)
    }

    public func separateBodies(id: String) async throws -> (request: [UInt8]?, response: [UInt8]?) {
        guard let row = try await api.query("SELECT request, response FROM log_bodies WHERE log_id = ?", [.text(id)]).first
        else { return (nil, nil) }
        return (row.bytes("request"), row.bytes("response"))
    }

    public func routePaths(gatewayID: String, route: String, since: Date) async throws -> [(version: String, path: String, count: Int)] {
        try await api.query(LogColumns.selectRoutePaths, [.text(gatewayID), .text(route), .integer(GatewayTables.milliseconds(since))])
            .map { ($0.text("route_version") ?? "", $0.text("route_path") ?? "", $0.integer("n") ?? 0) }
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

    /// Closes both connections, once; later calls do nothing.
    public func close() async throws {
        guard isOpen.withLock({ open in defer { open = false }; return open }) else { return }
        // The future-returning close: the async one does nothing in a cancelled task, and
        // ``run()`` closes the store when its task is cancelled.
        try await api.close().get()
        try await connection.close().get()
    }

    /// Holds the file open until graceful shutdown (or cancellation), then closes it.
    public func run() async throws {
        try? await gracefulShutdown()
        try await close()
    }

    /// Spend counters in memory, kept in this file across restarts.
    public func makeSpendLedger(logger: Logger) -> any SpendLedger {
        SQLiteSpendLedger(store: self, logger: logger)
    }

    // MARK: - Statements

    func execute(_ sql: String, _ binds: [SQLiteData] = []) async throws {
        try await connection.query(sql, binds) { _ in }
    }

    func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await connection.query(sql, binds)
    }

    /// One write statement of the management API, in its turn.
    func write(_ sql: String, _ binds: [SQLiteData]) async throws -> [SQLiteRow] {
        let api = self.api
        return try await writes.run { try await api.query(sql, binds) }
    }

    /// Runs `body` in one transaction, in its turn, rolled back if it throws. Only the log
    /// writer (and migrations) use this connection, so nothing else runs inside its transactions.
    func transaction(_ body: @Sendable () async throws -> Void) async throws {
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
        case .bytes(let bytes): self = .blob(ByteBuffer(bytes: bytes))
        case .null: self = .null
        }
    }

}

extension SQLiteRow: StoreRow {
    func text(_ column: String) -> String? { self.column(column)?.string }
    func integer(_ column: String) -> Int? { self.column(column)?.integer.map { Int($0) } }
    func double(_ column: String) -> Double? { self.column(column)?.double }
    func boolean(_ column: String) -> Bool? { self.column(column)?.integer.map { $0 != 0 } }
    func bytes(_ column: String) -> [UInt8]? { self.column(column)?.blob.map { Array($0.readableBytesView) } }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
