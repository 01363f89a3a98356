import Foundation
import GatewayCore
import Logging
import NIOCore
import PostgresNIO

/// The shared cache tier in PostgreSQL (`cache.shared: true`): each kept answer once, with
/// its headers, its chunks (boundaries kept) and when it expires. A lookup that does not
/// answer within 250 ms counts as a miss, so a slow or absent database never holds a request.
public struct PostgresSharedCache: SharedCacheTier {
    let store: PostgresStore
    let now: @Sendable () -> Date

    /// A tier in `store`.
    public init(store: PostgresStore, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.now = now
    }

    public func entry(for key: CacheKey) async -> ResponseCache.Entry? {
        let time = now().timeIntervalSince1970
        let store = self.store
        guard
            let row = try? await withTimeout(.milliseconds(250), {
                try await store.rows(
                    "SELECT status, headers, chunks, expires_at FROM cache_entries WHERE key = ? AND expires_at > ?",
                    [.text(key.hex), .double(time)]
                ).first
            }) ?? nil,
            let status = row.value("status", as: Int.self), let chunks = row.value("chunks", as: ByteBuffer.self),
            let expiresAt = row.value("expires_at", as: Double.self)
        else { return nil }
        return ResponseCache.Entry(
            status: status, headers: ResponseCache.Entry.headers(fromJSON: row.value("headers", as: String.self) ?? "[]"),
            chunks: ResponseCache.Entry.chunks(fromPacked: chunks), expiresAt: Date(timeIntervalSince1970: expiresAt))
    }

    public func store(_ entry: ResponseCache.Entry, for key: CacheKey) async {
        var binds = PostgresBindings()
        binds.append(key.hex)
        binds.append(key.gatewayID)
        binds.append(entry.status)
        binds.append(entry.headersJSON)
        binds.append(entry.packedChunks)
        binds.append(entry.expiresAt.timeIntervalSince1970)
        _ = try? await store.client.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO cache_entries (key, gateway_id, status, headers, chunks, expires_at)
                    VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (key) DO UPDATE SET status = excluded.status, headers = excluded.headers,
                        chunks = excluded.chunks, expires_at = excluded.expires_at
                    """, binds: binds), logger: store.logger)
    }

    public func removeAll(gatewayID: String) async {
        _ = try? await store.rows("DELETE FROM cache_entries WHERE gateway_id = ?", [.text(gatewayID)])
    }

    public func evictExpired() async {
        _ = try? await store.rows("DELETE FROM cache_entries WHERE expires_at <= ?", [.double(now().timeIntervalSince1970)])
    }
}
