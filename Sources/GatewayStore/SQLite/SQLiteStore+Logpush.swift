import Foundation
import SQLiteNIO

extension SQLiteStore {
    /// One process serves an SQLite file: it always holds the lease.
    public func logpushClaim(holder: String, seconds: Int) async throws -> Bool { true }

    public func logpushRelease(holder: String) async throws {}

    public func logpushPending(limit: Int) async throws -> [LogpushPending] {
        try await api.query(LogpushTables.pending(logs: "logs"), [.integer(limit)]).map(LogpushTables.pending)
    }

    public func logpushCommit(delivered: [Int64], cursor: String?) async throws {
        try await transaction {
            for chunk in delivered.chunked(Self.rowsPerStatement) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                try await self.execute("DELETE FROM logpush_outbox WHERE seq IN (\(marks))", chunk.map { .integer(Int($0)) })
            }
            if let cursor {
                try await self.execute(
                    "INSERT INTO logpush_state (name, value) VALUES ('cursor', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    [.text(cursor)])
            } else {
                try await self.execute("DELETE FROM logpush_state WHERE name = 'cursor'")
            }
        }
    }

    public func logpushCursor() async throws -> String? {
        try await rows("SELECT value FROM logpush_state WHERE name = 'cursor'").first?.column("value")?.string
    }

    public func logpushBacklog() async throws -> (count: Int, oldest: Date?) {
        let row = try await rows(LogpushTables.backlog).first
        let oldest = row?.column("oldest")?.integer.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        return (Int(row?.column("n")?.integer ?? 0), oldest)
    }
}
