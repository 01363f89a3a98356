import AIGateway
import Foundation
import GatewayCore
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// The columns a log is read from (metadata as JSON text).
    static let logColumns = LogColumns.selectList(.postgres)

    public func insert(_ logs: [StoredLog]) async throws {
        guard !logs.isEmpty else { return }
        try await transaction { connection in
            var inserted: Set<String> = []
            for chunk in logs.chunked(Self.rowsPerStatement) {
                for try await id in try await connection.query(Self.insertRows(chunk), logger: logger).decode(String.self) {
                    inserted.insert(id)
                }
                let bodies = chunk.filter { $0.requestBody != nil || $0.responseBody != nil }
                if !bodies.isEmpty { _ = try await connection.query(Self.insertBodies(bodies), logger: logger) }
            }
            // The rollups count what this batch inserted, in its transaction.
            let added = logs.filter { inserted.contains($0.log.id) }.map(\.log)
            for change in LogRollups.changes(for: added) {
                _ = try await connection.query(Self.query(change.sql, change.values), logger: logger)
            }
            // Logpush's queue gains what this batch stored, in its transaction.
            if let queued = LogpushTables.enqueue(added, of: logs) {
                _ = try await connection.query(Self.query(queued.sql, queued.values), logger: logger)
            }
        }
    }

    /// Data exceptions (SQLSTATE class 22: a value out of range, a byte sequence the encoding
    /// refuses), integrity violations (23) and exceeded limits (54: an index entry too large)
    /// are about a value some record holds.
    public func isRefusal(_ error: any Error) -> Bool {
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return ["22", "23", "54"].contains(String(state.prefix(2)))
    }

    /// `INSERT ... SELECT ... FROM UNNEST($1::text[], ...)`, one text array per column;
    /// idempotent, so a batch retried after a lost acknowledgement writes nothing twice.
    static let insertRowsSQL: String = {
        let names = LogColumns.names
        let arrays = LogColumns.all.indices.map { "$\($0 + 1)::text[]" }
        let casts = LogColumns.all.map { "\($0.name)::\(SQLDialect.postgres.typeName($0.kind))" }
        return "INSERT INTO logs (\(names.joined(separator: ","))) SELECT \(casts.joined(separator: ","))"
            + " FROM UNNEST(\(arrays.joined(separator: ","))) AS t(\(names.joined(separator: ",")))"
            + " ON CONFLICT (id) DO NOTHING RETURNING id"
    }()

    /// One batch of logs as one statement: a text array per column.
    static func insertRows(_ logs: ArraySlice<StoredLog>) -> PostgresQuery {
        var binds = PostgresBindings(capacity: LogColumns.all.count)
        for column in LogColumns.all {
            var values = PostgresTextArray()
            for stored in logs { values.append(column.value(stored).text) }
            binds.append(values)
        }
        return PostgresQuery(unsafeSQL: insertRowsSQL, binds: binds)
    }

    static func insertBodies(_ logs: [StoredLog]) -> PostgresQuery {
        var sql = "INSERT INTO log_bodies (log_id, request, response) VALUES "
        var binds = PostgresBindings(capacity: logs.count * 3)
        for (index, stored) in logs.enumerated() {
            sql += (index > 0 ? "," : "") + "($\(index * 3 + 1),$\(index * 3 + 2),$\(index * 3 + 3))"
            binds.append(stored.log.id)
            binds.append(stored.requestBody.map { ByteBuffer(bytes: $0) })
            binds.append(stored.responseBody.map { ByteBuffer(bytes: $0) })
        }
        return PostgresQuery(unsafeSQL: sql + " ON CONFLICT (log_id) DO NOTHING", binds: binds)
    }

    public func log(id: String, gatewayID: String) async throws -> AIGatewayLog? {
        try await rows("SELECT \(Self.logColumns) FROM logs WHERE id = ? AND gateway_id = ?", [.text(id), .text(gatewayID)])
            .first.map(AIGatewayLog.init(row:))
    }

    public func logs(gatewayID: String, query: LogQuery) async throws -> LogPage {
        let page = LogFilterSQL.page(gatewayID: gatewayID, query: query, columns: Self.logColumns, dialect: .postgres)
        let logs = try await rows(page.sql, page.values)
        let total = try await rows(page.countSQL, page.countValues)
        return LogPage(logs: logs.map(AIGatewayLog.init(row:)), totalCount: total.first?.value("n", as: Int.self) ?? 0)
    }

    public func analytics(gatewayID: String?, query: AnalyticsQuery) async throws -> GatewayAnalytics {
        if let table = LogRollups.table(for: query, now: Int64(Date().timeIntervalSince1970 * 1000)) {
            let statement = LogRollups.statement(table: table, gatewayID: gatewayID, query: query, dialect: .postgres)
            return LogRollups.analytics(query: query, rows: try await self.rows(statement.sql, statement.values))
        }
        func rows(_ level: AnalyticsSQL.Level) async throws -> [PostgresRandomAccessRow] {
            let statement = AnalyticsSQL.statement(level: level, gatewayID: gatewayID, query: query, dialect: .postgres)
            return try await self.rows(statement.sql, statement.values)
        }
        return AnalyticsSQL.analytics(
            query: query, total: try await rows(.total), groups: query.groupBy == nil ? [] : try await rows(.groups),
            buckets: try await rows(.buckets))
    }

    public func patchLog(id: String, gatewayID: String, patch: LogPatch) async throws -> AIGatewayLog? {
        let set = LogPatchSQL(patch, jsonCast: "::jsonb")
        guard !set.isEmpty else { return try await log(id: id, gatewayID: gatewayID) }
        return try await rows(
            "UPDATE logs SET \(set.sql) WHERE id = ? AND gateway_id = ? RETURNING \(Self.logColumns)",
            set.values + [.text(id), .text(gatewayID)]
        ).first.map(AIGatewayLog.init(row:))
    }

    public func deleteLogs(gatewayID: String, deletion: LogDeletion) async throws -> Int {
        try await deleteInTransaction(gatewayID: gatewayID) { _ in deletion }
    }

    public func logCount(gatewayID: String) async throws -> Int {
        try await rows(LogRollups.countSQL, [.text(gatewayID)]).first?.integer("n") ?? 0
    }

    /// Under a lock per gateway, so that processes trimming the same gateway at once delete
    /// the excess once, not once each.
    public func trimLogs(gatewayID: String, keep: Int, newestFirst: Bool) async throws -> Int {
        try await deleteInTransaction(gatewayID: gatewayID) { connection in
            _ = try await connection.query(Self.query("SELECT pg_advisory_xact_lock(hashtext(?))", [.text("aigw logs " + gatewayID)]), logger: self.logger)
            var count = 0
            for try await row in try await connection.query(Self.query(LogRollups.countSQL, [.text(gatewayID)]), logger: self.logger) {
                count = row.makeRandomAccess().integer("n") ?? 0
            }
            return count > keep ? LogDeletion.excess(count - keep, newestFirst: newestFirst) : nil
        }
    }

    /// Deletes the logs `deletion` selects (nil: none) and their rollups in one transaction;
    /// what to delete is decided inside it.
    private func deleteInTransaction(
        gatewayID: String, _ deletion: (PostgresConnection) async throws -> LogDeletion?
    ) async throws -> Int {
        var count = 0
        try await transaction { connection in
            guard let deletion = try await deletion(connection) else { return }
            let statement = LogFilterSQL.delete(gatewayID: gatewayID, deletion: deletion, dialect: .postgres)
            var deleted: [AIGatewayLog] = []
            for try await row in try await connection.query(Self.query(statement.sql, statement.values), logger: logger) {
                deleted.append(LogRollups.log(fromDeleted: row.makeRandomAccess()))
            }
            count = deleted.count
            for change in LogRollups.changes(for: deleted, sign: -1) {
                _ = try await connection.query(Self.query(change.sql, change.values), logger: logger)
            }
        }
        return count
    }

    public func separateBodies(id: String) async throws -> (request: [UInt8]?, response: [UInt8]?) {
        guard let row = try await rows("SELECT request, response FROM log_bodies WHERE log_id = ?", [.text(id)]).first else {
            return (nil, nil)
        }
        return (row.bytes("request"), row.bytes("response"))
    }

    public func routePaths(gatewayID: String, route: String, since: Date) async throws -> [(version: String, path: String, count: Int)] {
        try await rows(LogColumns.selectRoutePaths, [.text(gatewayID), .text(route), .integer(GatewayTables.milliseconds(since))])
            .map { ($0.text("route_version") ?? "", $0.text("route_path") ?? "", $0.integer("n") ?? 0) }
    }

    public func count(gatewayID: String?) async throws -> Int {
        let result =
            if let gatewayID {
                try await rows("SELECT COUNT(*) AS n FROM logs WHERE gateway_id = ?", [.text(gatewayID)])
            } else {
                try await rows("SELECT COUNT(*) AS n FROM logs")
            }
        return result.first?.value("n", as: Int.self) ?? 0
    }
}
