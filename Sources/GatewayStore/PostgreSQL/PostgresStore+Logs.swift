import AIGateway
import Foundation
import GatewayCore
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// The columns a log is read from (metadata as JSON text).
    static let logColumns = SQLiteStore.columns.map { $0 == "metadata" ? "metadata::text AS metadata" : $0 }
        .joined(separator: ", ")

    public func insert(_ logs: [StoredLog]) async throws {
        guard !logs.isEmpty else { return }
        try await transaction { connection in
            for chunk in logs.chunked(Self.rowsPerStatement) {
                _ = try await connection.query(Self.insertRows(chunk), logger: logger)
                let bodies = chunk.filter { $0.requestBody != nil || $0.responseBody != nil }
                if !bodies.isEmpty { _ = try await connection.query(Self.insertBodies(bodies), logger: logger) }
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

    /// The columns of `logs` in insert order: each one's PostgreSQL type, and its value for a
    /// log as text (PostgreSQL casts it back; NULL where the log has none).
    static let insertColumns: [(name: String, type: String, value: @Sendable (StoredLog) -> String?)] = [
        ("id", "text", { $0.log.id }),
        ("gateway_id", "text", { $0.log.gatewayID }),
        ("provider", "text", { $0.log.provider }),
        ("model", "text", { $0.log.model }),
        ("model_type", "text", { $0.log.modelType }),
        ("path", "text", { $0.log.path }),
        ("duration", "int8", { String($0.log.duration) }),
        ("request_type", "text", { $0.log.requestType }),
        ("request_content_type", "text", { $0.log.requestContentType }),
        ("status_code", "int4", { String($0.log.statusCode) }),
        ("response_content_type", "text", { $0.log.responseContentType }),
        ("success", "bool", { String($0.log.success) }),
        ("cached", "bool", { String($0.log.cached) }),
        ("tokens_in", "int8", { $0.log.tokensIn.map { String($0) } }),
        ("tokens_out", "int8", { $0.log.tokensOut.map { String($0) } }),
        ("cached_tokens_in", "int8", { $0.usage.cachedInput.map { String($0) } }),
        ("cache_write_tokens_in", "int8", { $0.usage.cacheCreationInput.map { String($0) } }),
        ("metadata", "jsonb", { $0.log.metadata.map(MetadataJSON.encode) }),
        ("step", "int4", { $0.log.step.map { String($0) } }),
        // Swift's shortest form ("0.00012", "1e-07", "inf", "nan") is what float8 reads.
        ("cost", "float8", { $0.log.cost.map { String($0) } }),
        ("custom_cost", "bool", { $0.log.customCost.map { String($0) } }),
        ("request_size", "int8", { String($0.log.requestSize) }),
        ("request_head", "text", { $0.log.requestHead }),
        ("request_head_complete", "bool", { String($0.log.requestHeadComplete) }),
        ("response_size", "int8", { String($0.log.responseSize) }),
        ("response_head", "text", { $0.log.responseHead }),
        ("response_head_complete", "bool", { String($0.log.responseHeadComplete) }),
        ("created_at", "int8", { String(Int($0.log.createdAt.timeIntervalSince1970 * 1000)) }),
        ("event_id", "text", { $0.log.eventID }),
        ("feedback", "int4", { $0.log.feedback.map { String($0) } }),
        ("score", "int4", { $0.log.score.map { String($0) } }),
        ("error", "text", { $0.log.error }),
    ]

    /// `INSERT ... SELECT ... FROM UNNEST($1::text[], ...)`, one text array per column;
    /// idempotent, so a batch retried after a lost acknowledgement writes nothing twice.
    static let insertRowsSQL: String = {
        let names = insertColumns.map(\.name)
        let arrays = insertColumns.indices.map { "$\($0 + 1)::text[]" }
        let casts = insertColumns.map { "\($0.name)::\($0.type)" }
        return "INSERT INTO logs (\(names.joined(separator: ","))) SELECT \(casts.joined(separator: ","))"
            + " FROM UNNEST(\(arrays.joined(separator: ","))) AS t(\(names.joined(separator: ",")))"
            + " ON CONFLICT (id) DO NOTHING"
    }()

    /// One batch of logs as one statement: a text array per column.
    static func insertRows(_ logs: ArraySlice<StoredLog>) -> PostgresQuery {
        var binds = PostgresBindings(capacity: insertColumns.count)
        for column in insertColumns {
            var values = PostgresTextArray()
            for stored in logs { values.append(column.value(stored)) }
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
            .first.map(Self.decodeLog)
    }

    public func logs(gatewayID: String, query: LogQuery) async throws -> LogPage {
        let page = LogFilterSQL.page(gatewayID: gatewayID, query: query, columns: Self.logColumns, dialect: .postgres)
        let logs = try await rows(page.sql, page.values)
        let total = try await rows(page.countSQL, page.countValues)
        return LogPage(logs: logs.map(Self.decodeLog), totalCount: total.first?.value("n", as: Int.self) ?? 0)
    }

    public func patchLog(id: String, gatewayID: String, patch: LogPatch) async throws -> AIGatewayLog? {
        let set = LogPatchSQL(patch, jsonCast: "::jsonb")
        guard !set.isEmpty else { return try await log(id: id, gatewayID: gatewayID) }
        return try await rows(
            "UPDATE logs SET \(set.sql) WHERE id = ? AND gateway_id = ? RETURNING \(Self.logColumns)",
            set.values + [.text(id), .text(gatewayID)]
        ).first.map(Self.decodeLog)
    }

    public func deleteLogs(gatewayID: String, deletion: LogDeletion) async throws -> Int {
        let statement = LogFilterSQL.delete(gatewayID: gatewayID, deletion: deletion, dialect: .postgres)
        return try await rows(statement.sql, statement.values).count
    }

    public func separateBodies(id: String) async throws -> (request: [UInt8]?, response: [UInt8]?) {
        guard let row = try await rows("SELECT request, response FROM log_bodies WHERE log_id = ?", [.text(id)]).first else {
            return (nil, nil)
        }
        let request = row.value("request", as: ByteBuffer.self).map { Array($0.readableBytesView) }
        let response = row.value("response", as: ByteBuffer.self).map { Array($0.readableBytesView) }
        return (request, response)
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

    static func decodeLog(_ row: PostgresRandomAccessRow) -> AIGatewayLog {
        func text(_ name: String) -> String? { row.value(name, as: String.self) }
        func int(_ name: String) -> Int? { row.value(name, as: Int.self) }
        func bool(_ name: String) -> Bool { row.value(name, as: Bool.self) ?? false }
        let metadata = text("metadata").flatMap { try? JSONDecoder().decode(LogMetadata.self, from: Data($0.utf8)) }
        return AIGatewayLog(
            id: text("id") ?? "", gatewayID: text("gateway_id") ?? "", provider: text("provider") ?? "",
            model: text("model") ?? "", modelType: text("model_type"), path: text("path") ?? "",
            duration: int("duration") ?? 0, requestType: text("request_type"),
            requestContentType: text("request_content_type"), statusCode: int("status_code") ?? 0,
            responseContentType: text("response_content_type"), success: bool("success"), cached: bool("cached"),
            tokensIn: int("tokens_in"), tokensOut: int("tokens_out"), metadata: metadata, step: int("step"),
            cost: row.value("cost", as: Double.self), customCost: row.value("custom_cost", as: Bool.self),
            requestSize: int("request_size") ?? 0, requestHead: text("request_head"),
            requestHeadComplete: bool("request_head_complete"), responseSize: int("response_size") ?? 0,
            responseHead: text("response_head"), responseHeadComplete: bool("response_head_complete"),
            createdAt: Date(timeIntervalSince1970: Double(int("created_at") ?? 0) / 1000), eventID: text("event_id"),
            feedback: int("feedback"), score: int("score"), error: text("error"))
    }
}
