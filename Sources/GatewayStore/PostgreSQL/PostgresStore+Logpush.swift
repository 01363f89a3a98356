import Foundation
import PostgresNIO

extension PostgresStore {
    public func logpushClaim(holder: String, seconds: Int) async throws -> Bool {
        let now = Int(Date().timeIntervalSince1970 * 1000)
        _ = try await rows(LogpushTables.claim, [.text(holder), .integer(now + seconds * 1000), .integer(now)])
        let row = try await rows("SELECT holder FROM logpush_lease WHERE id = 1").first
        return (try? row?["holder"].decode(String.self)) == holder
    }

    public func logpushRelease(holder: String) async throws {
        _ = try await rows("UPDATE logpush_lease SET expires_at = 0 WHERE id = 1 AND holder = ?", [.text(holder)])
    }

    public func logpushPending(limit: Int) async throws -> [LogpushPending] {
        try await rows(LogpushTables.pending(logs: "(SELECT \(Self.logColumns) FROM logs)"), [.integer(limit)]).map(LogpushTables.pending)
    }

    public func logpushCommit(delivered: [Int64], cursor: String?) async throws {
        try await transaction { connection in
            if !delivered.isEmpty {
                var binds = PostgresBindings(capacity: 1)
                binds.append(delivered)
                _ = try await connection.query(
                    PostgresQuery(unsafeSQL: "DELETE FROM logpush_outbox WHERE seq = ANY($1)", binds: binds), logger: logger)
            }
            let statement =
                cursor == nil
                ? Self.query("DELETE FROM logpush_state WHERE name = 'cursor'", [])
                : Self.query(
                    "INSERT INTO logpush_state (name, value) VALUES ('cursor', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    [.text(cursor!)])
            _ = try await connection.query(statement, logger: logger)
        }
    }

    public func logpushCursor() async throws -> String? {
        try await rows("SELECT value FROM logpush_state WHERE name = 'cursor'").first.flatMap { try? $0["value"].decode(String.self) }
    }

    public func logpushBacklog() async throws -> (count: Int, oldest: Date?) {
        let row = try await rows(LogpushTables.backlog).first
        let count = (try? row?["n"].decode(Int.self)) ?? 0
        let oldest = (try? row?["oldest"].decode(Int?.self)).flatMap { $0 }.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        return (count, oldest)
    }
}
