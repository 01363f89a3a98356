import AIGateway
import Foundation
import GatewayCore
import Logging
import PostgresNIO

/// Rate limits counted in PostgreSQL, so that every gateway process sharing the database
/// shares each gateway's budget exactly (SPEC section 7).
///
/// - `fixed`: one row per gateway and clock-aligned window, incremented by a single
///   conditional upsert that only counts while under the limit: atomic, so L + k requests
///   from any number of processes let exactly L through.
/// - `sliding`: the admissions of the last interval, checked and added under a per-gateway
///   advisory lock in one transaction.
///
/// This puts one database round trip on the request path of rate-limited gateways only. If
/// the database does not answer within a second, the request is let through (and a warning
/// logged): the gateway keeps serving while its database is away.
public struct PostgresRateLimiter: RateLimiting {
    let store: PostgresStore
    let now: @Sendable () -> Date
    let logger: Logger

    /// A limiter counting in `store`.
    public init(store: PostgresStore, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.logger = logger
        self.now = now
    }

    public func admit(_ gateway: GatewaySettings) async -> RateLimiter.Decision {
        guard let limit = gateway.rateLimitingLimit, limit > 0, let interval = gateway.rateLimitingInterval, interval > 0
        else { return .allowed }
        let time = now().timeIntervalSince1970
        do {
            // A database that does not answer within a second does not hold the request.
            return try await withTimeout(.seconds(1)) {
                gateway.rateLimitingTechnique == "sliding"
                    ? try await slide(gateway.id, limit: limit, interval: Double(interval), at: time)
                    : try await fix(gateway.id, limit: limit, interval: Double(interval), at: time)
            }
        } catch {
            logger.warning(
                "rate limit not counted (database unavailable); request let through",
                metadata: ["gateway": "\(gateway.id)", "error": "\(String(reflecting: error))"])
            return .allowed
        }
    }

    public func forget(_ gatewayID: String) {}

    private func fix(_ gateway: String, limit: Int, interval: Double, at time: Double) async throws -> RateLimiter.Decision {
        let start = (time / interval).rounded(.down) * interval
        let counted = try await store.rows(
            """
            INSERT INTO rate_windows (gateway_id, window_start, count) VALUES (?, ?, 1)
            ON CONFLICT (gateway_id, window_start) DO UPDATE SET count = rate_windows.count + 1
            WHERE rate_windows.count < ? RETURNING count
            """, [.text(gateway), .integer(Int(start)), .integer(limit)])
        return counted.isEmpty ? .limited(retryAfterSeconds: RateLimiter.wholeSeconds(start + interval - time)) : .allowed
    }

    private func slide(_ gateway: String, limit: Int, interval: Double, at time: Double) async throws -> RateLimiter.Decision {
        var decision = RateLimiter.Decision.allowed
        try await store.transaction { connection in
            func run(_ sql: String, _ values: [StoreValue]) async throws -> [PostgresRandomAccessRow] {
                var rows: [PostgresRandomAccessRow] = []
                for try await row in try await connection.query(PostgresStore.query(sql, values), logger: store.logger) {
                    rows.append(row.makeRandomAccess())
                }
                return rows
            }
            _ = try await run("SELECT pg_advisory_xact_lock(hashtext(?))", [.text("aigw rate " + gateway)])
            _ = try await run(
                "DELETE FROM rate_admissions WHERE gateway_id = ? AND admitted_at <= ?", [.text(gateway), .double(time - interval)])
            let window = try await run(
                "SELECT COUNT(*) AS n, MIN(admitted_at) AS oldest FROM rate_admissions WHERE gateway_id = ?", [.text(gateway)])
            let count = window.first?.value("n", as: Int.self) ?? 0
            if count < limit {
                _ = try await run("INSERT INTO rate_admissions (gateway_id, admitted_at) VALUES (?, ?)", [.text(gateway), .double(time)])
            } else {
                let oldest = window.first?.value("oldest", as: Double.self) ?? time
                decision = .limited(retryAfterSeconds: RateLimiter.wholeSeconds(oldest + interval - time))
            }
        }
        return decision
    }
}

extension PostgresStore {
    /// Drops fixed rate windows that ended long ago.
    func pruneRateWindows(before seconds: Int) async throws {
        _ = try await rows("DELETE FROM rate_windows WHERE window_start < ?", [.integer(seconds)])
    }
}
