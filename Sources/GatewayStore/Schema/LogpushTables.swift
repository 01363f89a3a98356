import AIGateway
import Foundation
import GatewayCore

/// The tables Logpush keeps its place in, in the same database as the logs:
///
/// - `logpush_outbox`: one row per stored log to export, written by the log batch's own
///   transaction (so a log is stored if and only if it is queued for export), in the order
///   logs were stored; a row goes once its log is delivered.
/// - `logpush_state`: the exporter's file cursor (which file is open, and how many bytes of it
///   are delivered), changed in the transaction that removes the delivered rows.
/// - `logpush_lease`: which process exports, when several share one PostgreSQL database (an
///   SQLite file has one process, which always exports).
enum LogpushTables {
    static func create(_ dialect: SQLDialect, postgres: Bool) -> [String] {
        [
            postgres
                ? "CREATE TABLE logpush_outbox (seq BIGSERIAL PRIMARY KEY, gateway_id TEXT NOT NULL, log_id TEXT NOT NULL, created_at BIGINT NOT NULL)"
                : "CREATE TABLE logpush_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, gateway_id TEXT NOT NULL, log_id TEXT NOT NULL, created_at INTEGER NOT NULL)",
            "CREATE TABLE logpush_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE logpush_lease (id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL, expires_at \(dialect.typeName(.bigInteger)) NOT NULL)",
        ]
    }

    /// Queues the logs of `added` that `batch` marks for export.
    static func enqueue(_ added: [AIGatewayLog], of batch: [StoredLog]) -> (sql: String, values: [StoreValue])? {
        let exported = Set(batch.lazy.filter(\.logpush).map(\.log.id))
        guard !exported.isEmpty else { return nil }
        let queued = added.filter { exported.contains($0.id) }
        guard !queued.isEmpty else { return nil }
        let sql =
            "INSERT INTO logpush_outbox (gateway_id, log_id, created_at) VALUES "
            + Array(repeating: "(?, ?, ?)", count: queued.count).joined(separator: ",")
        let values = queued.flatMap { log -> [StoreValue] in
            [.text(log.gatewayID), .text(log.id), .integer(Int(log.createdAt.timeIntervalSince1970 * 1000))]
        }
        return (sql, values)
    }

    /// The oldest queued logs, in order, with their rows (none for a log deleted since) and
    /// the bodies kept apart from them: one statement for a whole batch. `logs` is the table,
    /// or (PostgreSQL) a projection of it that reads metadata as text.
    static func pending(logs: String) -> String {
        "SELECT o.seq AS outbox_seq, o.gateway_id AS outbox_gateway, b.request AS separate_request, "
            + "b.response AS separate_response, l.* FROM logpush_outbox o "
            + "LEFT JOIN \(logs) l ON l.id = o.log_id LEFT JOIN log_bodies b ON b.log_id = o.log_id ORDER BY o.seq LIMIT ?"
    }

    /// Takes the lease for `holder` when it is free, expired or already its own.
    static let claim =
        "INSERT INTO logpush_lease (id, holder, expires_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE "
        + "SET holder = excluded.holder, expires_at = excluded.expires_at "
        + "WHERE logpush_lease.holder = excluded.holder OR logpush_lease.expires_at < ?"

    static let backlog = "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM logpush_outbox"

    /// Rows from the pending query: each log with its bodies as sent (capped), nil where not
    /// kept, read as ``LogStore/bodies(of:)`` reads them.
    static func pending(_ row: some StoreRow) -> LogpushPending {
        let log = row.text("id") == nil ? nil : AIGatewayLog(row: row)
        let request = row.bytes("separate_request") ?? log.flatMap { $0.requestHeadComplete ? $0.requestHead.map { Array($0.utf8) } : nil }
        let response = row.bytes("separate_response") ?? log.flatMap { $0.responseHeadComplete ? $0.responseHead.map { Array($0.utf8) } : nil }
        return LogpushPending(
            seq: Int64(row.integer("outbox_seq") ?? 0), gatewayID: row.text("outbox_gateway") ?? "", log: log,
            request: request, response: response)
    }
}

/// One log waiting for Logpush: its place in the queue and its row (nil when the log was
/// deleted before it was exported).
public struct LogpushPending: Sendable {
    /// Its place in the queue (the order logs were stored).
    public var seq: Int64
    /// The gateway whose key seals it.
    public var gatewayID: String
    /// The log, or nil when it was deleted before export.
    public var log: AIGatewayLog?
    /// The request and response bodies as sent (capped), nil where not kept.
    public var request: [UInt8]?
    public var response: [UInt8]?
}

/// What Logpush needs of a store.
public protocol LogpushStore: LogStore {
    /// Whether `holder` may export for the next `seconds` (one process at a time).
    func logpushClaim(holder: String, seconds: Int) async throws -> Bool
    /// Gives the lease up (at shutdown), so that another process takes over at once.
    func logpushRelease(holder: String) async throws
    /// The oldest `limit` logs waiting, in the order they were stored.
    func logpushPending(limit: Int) async throws -> [LogpushPending]
    /// Removes delivered entries and saves the cursor, in one transaction.
    func logpushCommit(delivered: [Int64], cursor: String?) async throws
    /// The saved cursor.
    func logpushCursor() async throws -> String?
    /// How many logs wait, and when the oldest was made.
    func logpushBacklog() async throws -> (count: Int, oldest: Date?)
}
