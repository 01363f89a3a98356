import Foundation
import GatewayCore
import SQLiteNIO

extension SQLiteStore {
    public func runTokens() async throws -> [RunToken] {
        try await api.query(GatewayTables.selectRunTokens).map(GatewayTables.runToken)
    }

    public func saveRunToken(_ token: RunToken) async throws {
        _ = try await write(GatewayTables.insertRunToken, GatewayTables.runTokenValues(token).map(SQLiteData.init))
    }

    public func deleteRunToken(id: String, gatewayID: String) async throws -> Bool {
        try await !write(GatewayTables.deleteRunToken, [.text(id), .text(gatewayID)]).isEmpty
    }

    public func providerKeys() async throws -> [StoredProviderKey] {
        try await api.query(GatewayTables.selectProviderKeys).map(GatewayTables.providerKey)
    }

    public func saveProviderKey(_ key: StoredProviderKey) async throws {
        _ = try await write(GatewayTables.insertProviderKey, GatewayTables.providerKeyValues(key).map(SQLiteData.init))
    }

    public func deleteProviderKey(id: String, gatewayID: String) async throws -> Bool {
        try await !write(GatewayTables.deleteProviderKey, [.text(id), .text(gatewayID)]).isEmpty
    }
}

extension SQLiteStore {
    public func documents(kind: String, gatewayID: String) async throws -> [GatewayDocument] {
        try await api.query(GatewayTables.selectDocuments, [.text(kind), .text(gatewayID)]).map(GatewayTables.document)
    }

    public func documents(kind: String) async throws -> [GatewayDocument] {
        try await api.query(GatewayTables.selectDocumentsOfKind, [.text(kind)]).map(GatewayTables.document)
    }

    public func saveDocument(_ document: GatewayDocument) async throws {
        _ = try await write(GatewayTables.upsertDocument, GatewayTables.documentValues(document).map(SQLiteData.init))
    }

    public func deleteDocument(kind: String, id: String, gatewayID: String) async throws -> Bool {
        try await !write(GatewayTables.deleteDocument, [.text(kind), .text(id), .text(gatewayID)]).isEmpty
    }
}
