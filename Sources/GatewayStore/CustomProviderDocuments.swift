import AIGateway
import Foundation
import GatewayCore

extension GatewayDocumentStore {
    /// The kind of document a custom provider is kept as; they belong to the account, not to
    /// a gateway (their gateway id is empty, which no gateway has).
    public static var customProviderKind: String { "custom_provider" }

    /// Every custom provider the store holds.
    public func customProviders() async throws -> [CustomProviderRecord] {
        try await documents(kind: Self.customProviderKind, gatewayID: "").map {
            try WireFormat.decoder().decode(CustomProviderRecord.self, from: Data($0.body.utf8))
        }
    }

    /// Stores a custom provider, replacing the one with its id.
    public func saveCustomProvider(_ record: CustomProviderRecord) async throws {
        let body = String(decoding: try WireFormat.encoder().encode(record), as: UTF8.self)
        try await saveDocument(
            GatewayDocument(
                kind: Self.customProviderKind, id: record.provider.id, gatewayID: "", body: body,
                createdAt: record.provider.createdAt))
    }

    /// Deletes a custom provider; false when there is none with that id.
    public func deleteCustomProvider(id: String) async throws -> Bool {
        try await deleteDocument(kind: Self.customProviderKind, id: id, gatewayID: "")
    }
}
