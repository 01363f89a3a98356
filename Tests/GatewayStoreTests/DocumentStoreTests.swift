import AIGateway
import Foundation
import GatewayCore
import Testing

@testable import GatewayStore

@Suite("Gateway documents (datasets, evaluations), SQLite and PostgreSQL alike")
struct DocumentStoreTests {
    @Test("saved, listed newest first by kind and gateway, replaced, deleted, and gone with their gateway", arguments: StoreKind.all)
    func documents(kind: StoreKind) async throws {
        try await kind.withStore(documentsHold)
    }

    func documentsHold(store: any DataStore) async throws {
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        try await store.saveGateway(GatewaySettings(id: "g", now: start))
        for index in 0..<3 {
            try await store.saveDocument(
                GatewayDocument(kind: "dataset", id: "d\(index)", gatewayID: "g", body: #"{"n":\#(index)}"#, createdAt: start + Double(index)))
        }
        try await store.saveDocument(GatewayDocument(kind: "evaluation", id: "e0", gatewayID: "g", body: "{}", createdAt: start))
        try await store.saveDocument(GatewayDocument(kind: "dataset", id: "x0", gatewayID: "other", body: "{}", createdAt: start))
        #expect(try await store.documents(kind: "dataset", gatewayID: "g").map(\.id) == ["d2", "d1", "d0"])
        #expect(try await store.documents(kind: "evaluation", gatewayID: "g").map(\.id) == ["e0"])

        try await store.saveDocument(GatewayDocument(kind: "dataset", id: "d1", gatewayID: "g", body: #"{"n":9}"#, createdAt: start))
        let replaced = try await store.documents(kind: "dataset", gatewayID: "g").first { $0.id == "d1" }
        #expect(replaced?.body == #"{"n":9}"#)

        #expect(try await store.deleteDocument(kind: "dataset", id: "d0", gatewayID: "g"))
        #expect(try await !store.deleteDocument(kind: "dataset", id: "d0", gatewayID: "g"))
        #expect(try await !store.deleteDocument(kind: "dataset", id: "x0", gatewayID: "g"), "another gateway's document")

        #expect(try await store.deleteGateway(id: "g"))
        #expect(try await store.documents(kind: "dataset", gatewayID: "g").isEmpty)
        #expect(try await store.documents(kind: "evaluation", gatewayID: "g").isEmpty)
        #expect(try await store.documents(kind: "dataset", gatewayID: "other").map(\.id) == ["x0"])
    }
}
