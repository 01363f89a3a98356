import AIGateway
import Foundation
import GatewayCore
import Testing

@testable import GatewayStore

@Suite("Log stores, SQLite and PostgreSQL alike: migrations, round trips, batches")
struct StoreTests {
    @Test("PostgreSQL: migrations run once, and again (from several processes at once) without harm")
    func postgresMigrations() async throws {
        guard StoreKind.all.contains(.postgres) else { return }
        let url = try await StoreKind.freshPostgresDatabase()
        // Several stores migrating one database at once: the advisory lock lets one apply each step.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let store = try await PostgresStore.open(url: url)
                    try await store.migrate()
                    try await store.close()
                }
            }
            try await group.waitForAll()
        }
        let store = try await PostgresStore.open(url: url)
        try await store.migrate()
        #expect(try await store.count(gatewayID: nil) == 0)
        let versions = try await store.rows("SELECT COUNT(*) AS n FROM schema_migrations")
        #expect(versions.first?.value("n", as: Int.self) == PostgresStore.migrations.count)
        try await store.close()
    }

    @Test("PostgreSQL: an unreachable server is a clear error naming it, without the password")
    func postgresUnreachable() async throws {
        do {
            _ = try await PostgresStore.open(url: "postgres://me:secret-pw@127.0.0.1:1/db")
            Issue.record("expected an error")
        } catch let error as ConfigurationError {
            #expect(error.message.contains("127.0.0.1:1") && !error.message.contains("secret-pw"), "\(error.message)")
        }
    }

    @Test("SQLite: migrations run once and again without harm")
    func migrations() async throws {
        let path = temporaryDatabasePath()
        let store = try await SQLiteStore.open(path: path)
        try await store.migrate()
        try await store.migrate()
        #expect(try await store.count(gatewayID: nil) == 0)
        try await store.close()
        let reopened = try await SQLiteStore.open(path: path)
        try await reopened.migrate()
        try await reopened.ping()
        try await reopened.close()
    }

    @Test("a log reads back with every field it was written with", arguments: StoreKind.all)
    func roundTrip(kind: StoreKind) async throws {
        let store = try await kind.open()
        let stored = sampleRecord(index: 3).finalized()
        try await store.insert([stored])
        let log = try #require(try await store.log(id: stored.log.id, gatewayID: "g"))
        #expect(log.provider == "openai")
        #expect(log.model == "gpt-4o-mini")
        #expect(log.modelType == "chat")
        #expect(log.tokensIn == 11 && log.tokensOut == 7)
        #expect(log.metadata == ["user": .string("u3"), "n": .number(3)])
        #expect(log.eventID == "evt-3")
        #expect(log.statusCode == 200 && log.success && !log.cached)
        #expect(log.requestHead == #"{"model":"gpt-4o-mini","messages":[]}"#)
        #expect(log.requestHeadComplete && log.responseHeadComplete)
        #expect(abs(log.createdAt.timeIntervalSince(stored.log.createdAt)) < 0.002)
        let bodies = try await store.bodies(id: stored.log.id)
        #expect(bodies.request.map { String(decoding: $0, as: UTF8.self) } == #"{"model":"gpt-4o-mini","messages":[]}"#)
        #expect(try await store.log(id: stored.log.id, gatewayID: "other") == nil)
        try await store.close()
    }

    @Test("without payload: tokens kept, heads and bodies not", arguments: StoreKind.all)
    func withoutPayload(kind: StoreKind) async throws {
        let store = try await kind.open()
        let stored = sampleRecord(storePayload: false).finalized()
        try await store.insert([stored])
        let log = try #require(try await store.log(id: stored.log.id, gatewayID: "g"))
        #expect(log.tokensIn == 11)
        #expect(log.requestHead == nil && log.responseHead == nil)
        let bodies = try await store.bodies(id: stored.log.id)
        #expect(bodies.request == nil && bodies.response == nil)
        try await store.close()
    }

    @Test("a large batch is written whole, across several statements, and a replayed batch writes nothing twice", arguments: StoreKind.all)
    func largeBatch(kind: StoreKind) async throws {
        let store = try await kind.open()
        let batch = (0..<2500).map { sampleRecord(index: $0).finalized() }
        try await store.insert(batch)
        try await store.insert(Array(batch.prefix(10)))
        #expect(try await store.count(gatewayID: "g") == 2500)
        try await store.close()
    }
}
