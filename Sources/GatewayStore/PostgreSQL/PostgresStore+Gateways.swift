import AIGateway
import Foundation
import GatewayCore
import NIOCore
import PostgresNIO

extension PostgresStore {
    public func gateways() async throws -> [GatewaySettings] {
        try await rows(GatewayTables.selectGateways(.postgres)).compactMap(GatewayTables.gateway)
    }

    public func createGateway(_ settings: GatewaySettings) async throws -> Bool {
        !(try await rows(GatewayTables.insertGateway(.postgres), try GatewayTables.gatewayValues(settings)).isEmpty)
    }

    public func saveGateway(_ settings: GatewaySettings) async throws {
        _ = try await rows(GatewayTables.upsertGateway(.postgres), try GatewayTables.gatewayValues(settings))
    }

    /// Deletes a gateway with its logs, tokens, keys and rate windows, in one transaction.
    public func deleteGateway(id: String) async throws -> Bool {
        var deleted = false
        try await transaction { connection in
            for table in [
                "logs", "run_tokens", "provider_keys", "rate_windows", "rate_admissions", "gateway_documents", "log_rollups",
                "log_rollups_hourly", "spend_counters",
            ] {
                _ = try await connection.query(Self.query("DELETE FROM \(table) WHERE gateway_id = ?", [.text(id)]), logger: logger)
            }
            let rows = try await connection.query(
                Self.query("DELETE FROM gateways WHERE id = ? RETURNING id", [.text(id)]),
                logger: logger)
            for try await _ in rows { deleted = true }
        }
        return deleted
    }

    // MARK: - Credentials

    public func runTokens() async throws -> [RunToken] {
        try await rows(GatewayTables.selectRunTokens).map(GatewayTables.runToken)
    }

    public func saveRunToken(_ token: RunToken) async throws {
        _ = try await rows(GatewayTables.insertRunToken, GatewayTables.runTokenValues(token))
    }

    public func deleteRunToken(id: String, gatewayID: String) async throws -> Bool {
        !(try await rows(GatewayTables.deleteRunToken, [.text(id), .text(gatewayID)]).isEmpty)
    }

    public func providerKeys() async throws -> [StoredProviderKey] {
        try await rows(GatewayTables.selectProviderKeys).map(GatewayTables.providerKey)
    }

    public func saveProviderKey(_ key: StoredProviderKey) async throws {
        _ = try await rows(GatewayTables.insertProviderKey, GatewayTables.providerKeyValues(key))
    }

    public func deleteProviderKey(id: String, gatewayID: String) async throws -> Bool {
        !(try await rows(GatewayTables.deleteProviderKey, [.text(id), .text(gatewayID)]).isEmpty)
    }
}

extension PostgresStore {
    public func documents(kind: String, gatewayID: String) async throws -> [GatewayDocument] {
        try await rows(GatewayTables.selectDocuments, [.text(kind), .text(gatewayID)]).map(GatewayTables.document)
    }

    public func documents(kind: String) async throws -> [GatewayDocument] {
        try await rows(GatewayTables.selectDocumentsOfKind, [.text(kind)]).map(GatewayTables.document)
    }

    public func saveDocument(_ document: GatewayDocument) async throws {
        _ = try await rows(GatewayTables.upsertDocument, GatewayTables.documentValues(document))
    }

    public func deleteDocument(kind: String, id: String, gatewayID: String) async throws -> Bool {
        !(try await rows(GatewayTables.deleteDocument, [.text(kind), .text(id), .text(gatewayID)]).isEmpty)
    }
}
