import Foundation
import GatewayCore
import NIOCore
import SQLiteNIO

extension SQLiteStore {
    public func runTokens() async throws -> [RunToken] {
        try await api.query("SELECT id, gateway_id, name, digest, created_at FROM run_tokens ORDER BY id").map { row in
            RunToken(
                id: row.column("id")?.string ?? "", gatewayID: row.column("gateway_id")?.string ?? "",
                name: row.column("name")?.string ?? "", digest: row.column("digest")?.string ?? "",
                createdAt: Date(timeIntervalSince1970: Double(row.column("created_at")?.integer ?? 0) / 1000))
        }
    }

    public func saveRunToken(_ token: RunToken) async throws {
        _ = try await write(
            "INSERT INTO run_tokens (id, gateway_id, name, digest, created_at) VALUES (?, ?, ?, ?, ?)",
            [.text(token.id), .text(token.gatewayID), .text(token.name), .text(token.digest), .integer(Self.milliseconds(token.createdAt))])
    }

    public func deleteRunToken(id: String, gatewayID: String) async throws -> Bool {
        try await !write("DELETE FROM run_tokens WHERE id = ? AND gateway_id = ? RETURNING id", [.text(id), .text(gatewayID)]).isEmpty
    }

    public func providerKeys() async throws -> [StoredProviderKey] {
        try await api.query(
            "SELECT id, gateway_id, alias, provider_slug, sealed, default_config, created_at FROM provider_keys ORDER BY id"
        ).map { row in
            StoredProviderKey(
                id: row.column("id")?.string ?? "", gatewayID: row.column("gateway_id")?.string ?? "",
                alias: row.column("alias")?.string ?? "", providerSlug: row.column("provider_slug")?.string ?? "",
                sealed: row.column("sealed")?.blob.map { Data($0.readableBytesView) } ?? Data(),
                defaultConfig: (row.column("default_config")?.integer ?? 0) != 0,
                createdAt: Date(timeIntervalSince1970: Double(row.column("created_at")?.integer ?? 0) / 1000))
        }
    }

    public func saveProviderKey(_ key: StoredProviderKey) async throws {
        _ = try await write(
            """
            INSERT INTO provider_keys (id, gateway_id, alias, provider_slug, sealed, default_config, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(key.id), .text(key.gatewayID), .text(key.alias), .text(key.providerSlug), .blob(ByteBuffer(bytes: key.sealed)),
                .bool(key.defaultConfig), .integer(Self.milliseconds(key.createdAt)),
            ])
    }

    public func deleteProviderKey(id: String, gatewayID: String) async throws -> Bool {
        try await !write("DELETE FROM provider_keys WHERE id = ? AND gateway_id = ? RETURNING id", [.text(id), .text(gatewayID)]).isEmpty
    }

    static func milliseconds(_ date: Date) -> SQLiteInt64 { SQLiteInt64((date.timeIntervalSince1970 * 1000).rounded()) }
}
