import AIGateway
import Foundation
import GatewayCore
import NIOCore
import PostgresNIO

extension PostgresStore {
    public func gateways() async throws -> [GatewaySettings] {
        try await rows("SELECT settings::text AS settings FROM gateways ORDER BY id").compactMap { row in
            guard let text = row.value("settings", as: String.self) else { return nil }
            return try SQLiteStore.settingsDecoder.decode(GatewaySettings.self, from: Data(text.utf8))
        }
    }

    public func createGateway(_ settings: GatewaySettings) async throws -> Bool {
        !(try await rows(
            "INSERT INTO gateways (id, settings, created_at, modified_at) VALUES (?, ?::jsonb, ?, ?) "
                + "ON CONFLICT (id) DO NOTHING RETURNING id",
            try Self.gatewayValues(settings)
        ).isEmpty)
    }

    public func saveGateway(_ settings: GatewaySettings) async throws {
        _ = try await rows(
            "INSERT INTO gateways (id, settings, created_at, modified_at) VALUES (?, ?::jsonb, ?, ?) "
                + "ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, modified_at = excluded.modified_at",
            try Self.gatewayValues(settings))
    }

    static func gatewayValues(_ settings: GatewaySettings) throws -> [StoreValue] {
        [
            .text(settings.id), .text(String(decoding: try SQLiteStore.settingsEncoder.encode(settings), as: UTF8.self)),
            .integer(Int(settings.createdAt.timeIntervalSince1970 * 1000)),
            .integer(Int(settings.modifiedAt.timeIntervalSince1970 * 1000)),
        ]
    }

    /// Deletes a gateway with its logs, tokens, keys and rate windows, in one transaction.
    public func deleteGateway(id: String) async throws -> Bool {
        var deleted = false
        try await transaction { connection in
            for table in ["logs", "run_tokens", "provider_keys", "rate_windows", "rate_admissions"] {
                _ = try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE gateway_id = $1", binds: Self.binds([.text(id)])), logger: logger)
            }
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "DELETE FROM gateways WHERE id = $1 RETURNING id", binds: Self.binds([.text(id)])),
                logger: logger)
            for try await _ in rows { deleted = true }
        }
        return deleted
    }

    static func binds(_ values: [StoreValue]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values { binds.append(value) }
        return binds
    }

    // MARK: - Credentials

    public func runTokens() async throws -> [RunToken] {
        try await rows("SELECT id, gateway_id, name, digest, created_at FROM run_tokens ORDER BY id").map { row in
            RunToken(
                id: row.value("id") ?? "", gatewayID: row.value("gateway_id") ?? "", name: row.value("name") ?? "",
                digest: row.value("digest") ?? "",
                createdAt: Date(timeIntervalSince1970: Double(row.value("created_at", as: Int.self) ?? 0) / 1000))
        }
    }

    public func saveRunToken(_ token: RunToken) async throws {
        _ = try await rows(
            "INSERT INTO run_tokens (id, gateway_id, name, digest, created_at) VALUES (?, ?, ?, ?, ?)",
            [.text(token.id), .text(token.gatewayID), .text(token.name), .text(token.digest), .integer(Self.milliseconds(token.createdAt))])
    }

    public func deleteRunToken(id: String, gatewayID: String) async throws -> Bool {
        !(try await rows("DELETE FROM run_tokens WHERE id = ? AND gateway_id = ? RETURNING id", [.text(id), .text(gatewayID)]).isEmpty)
    }

    public func providerKeys() async throws -> [StoredProviderKey] {
        try await rows(
            "SELECT id, gateway_id, alias, provider_slug, sealed, default_config, created_at FROM provider_keys ORDER BY id"
        ).map { row in
            StoredProviderKey(
                id: row.value("id") ?? "", gatewayID: row.value("gateway_id") ?? "", alias: row.value("alias") ?? "",
                providerSlug: row.value("provider_slug") ?? "",
                sealed: row.value("sealed", as: ByteBuffer.self).map { Data($0.readableBytesView) } ?? Data(),
                defaultConfig: row.value("default_config", as: Bool.self) ?? false,
                createdAt: Date(timeIntervalSince1970: Double(row.value("created_at", as: Int.self) ?? 0) / 1000))
        }
    }

    public func saveProviderKey(_ key: StoredProviderKey) async throws {
        var binds = Self.binds([.text(key.id), .text(key.gatewayID), .text(key.alias), .text(key.providerSlug)])
        binds.append(ByteBuffer(bytes: key.sealed))
        binds.append(key.defaultConfig)
        binds.append(Self.milliseconds(key.createdAt))
        _ = try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO provider_keys (id, gateway_id, alias, provider_slug, sealed, default_config, created_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    """, binds: binds), logger: logger)
    }

    public func deleteProviderKey(id: String, gatewayID: String) async throws -> Bool {
        !(try await rows("DELETE FROM provider_keys WHERE id = ? AND gateway_id = ? RETURNING id", [.text(id), .text(gatewayID)]).isEmpty)
    }

    static func milliseconds(_ date: Date) -> Int { Int((date.timeIntervalSince1970 * 1000).rounded()) }
}
