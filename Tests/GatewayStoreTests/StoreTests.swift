import AIGateway
import Foundation
import Logging
import GatewayCore
import NIOCore
import TestSupport
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
                    let store = try await PostgresStore.open(url: url, logger: .quietUnlessAsked())
                    try await store.whileRunning { try await store.migrate() }
                }
            }
            try await group.waitForAll()
        }
        let store = try await PostgresStore.open(url: url, logger: .quietUnlessAsked())
        try await store.whileRunning {
            try await store.migrate()
            #expect(try await store.count(gatewayID: nil) == 0)
            let versions = try await store.rows("SELECT COUNT(*) AS n FROM schema_migrations")
            #expect(versions.first?.value("n", as: Int.self) == PostgresStore.migrations.count)
        }
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
        let store = try await SQLiteStore.open(path: path, logger: .quietUnlessAsked())
        try await store.migrate()
        try await store.migrate()
        #expect(try await store.count(gatewayID: nil) == 0)
        try await store.close()
        let reopened = try await SQLiteStore.open(path: path, logger: .quietUnlessAsked())
        try await reopened.migrate()
        try await reopened.ping()
        try await reopened.close()
    }

    @Test("a log reads back with every field it was written with", arguments: StoreKind.all)
    func roundTrip(kind: StoreKind) async throws {
        try await kind.withStore { store in
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
            let bodies = try await store.bodies(of: log)
            #expect(bodies.request.map { String(decoding: $0, as: UTF8.self) } == #"{"model":"gpt-4o-mini","messages":[]}"#)
            #expect(try await store.log(id: stored.log.id, gatewayID: "other") == nil)
        }
    }

    @Test("without payload: tokens kept, heads and bodies not", arguments: StoreKind.all)
    func withoutPayload(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let stored = sampleRecord(storePayload: false).finalized()
            try await store.insert([stored])
            let log = try #require(try await store.log(id: stored.log.id, gatewayID: "g"))
            #expect(log.tokensIn == 11)
            #expect(log.requestHead == nil && log.responseHead == nil)
            let bodies = try await store.bodies(of: log)
            #expect(bodies.request == nil && bodies.response == nil)
        }
    }

    @Test("a small text body is stored once, as its head; a larger one apart as well; both read back whole", arguments: StoreKind.all)
    func bodiesStoredOnce(kind: StoreKind) async throws {
        try await kind.withStore { store in
            var large = sampleRecord(index: 1)
            let long = #"{"model":"gpt-4o-mini","input":""# + String(repeating: "é", count: 1500) + #""}"#
            large.requestBody = ByteBuffer(string: long)
            let batch = [sampleRecord(index: 0).finalized(), large.finalized()]
            try await store.insert(batch)

            let small = try #require(try await store.log(id: batch[0].log.id, gatewayID: "g"))
            #expect(try await store.separateBodies(id: small.id).request == nil)
            #expect(try await store.bodies(of: small).request == Array(#"{"model":"gpt-4o-mini","messages":[]}"#.utf8))
            #expect(try await store.bodies(of: small).response == Array(#"{"usage":{"prompt_tokens":11,"completion_tokens":7}}"#.utf8))

            let big = try #require(try await store.log(id: batch[1].log.id, gatewayID: "g"))
            #expect(!big.requestHeadComplete && big.requestHead?.utf8.count ?? 0 <= 2048)
            #expect(try await store.bodies(of: big).request == Array(long.utf8))
        }
    }

    @Test("binary bodies (NUL bytes, invalid UTF-8) are stored exactly, their heads as text; NUL in text never fails a batch", arguments: StoreKind.all)
    func binaryBodies(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0xFF, 0xFE]
            // The model's JSON escape decodes to a NUL in the model name.
            let request = Array(#"{"model":"sd\u0000xl","prompt":"a cat"}"#.utf8)
            var record = sampleRecord(index: 2)
            record.requestBody = ByteBuffer(bytes: request)
            record.responseContentType = "image/png"
            record.response = BodyCapture(cap: 1024 * 1024, body: ByteBuffer(bytes: png))
            record.metadata = ["note": .string("nul\u{0}inside")]
            record.error = "upstream said \u{0}"
            let stored = record.finalized()
            try await store.insert([stored, sampleRecord(index: 3).finalized()])

            let log = try #require(try await store.log(id: stored.log.id, gatewayID: "g"))
            #expect(log.model == "sd\u{FFFD}xl")
            #expect(log.metadata == ["note": .string("nul\u{FFFD}inside")])
            #expect(log.error == "upstream said \u{FFFD}")
            #expect(log.requestHeadComplete && log.requestHead?.utf8.contains(0) == false)
            #expect(log.responseHeadComplete && log.responseHead?.contains("PNG") == true && log.responseHead?.utf8.contains(0) == false)
            let bodies = try await store.bodies(of: log)
            #expect(bodies.response == png)
            #expect(bodies.request == request)
            #expect(try await store.count(gatewayID: "g") == 2)
        }
    }

    @Test("a model name or event id too long for an index is cut on a character boundary, and the batch goes in", arguments: StoreKind.all)
    func longIndexedText(kind: StoreKind) async throws {
        try await kind.withStore { store in
            var record = sampleRecord(index: 4)
            let model = String(repeating: "ü", count: 5000)
            record.requestBody = ByteBuffer(string: #"{"model":"\#(model)","messages":[]}"#)
            record.eventID = String(repeating: "e", count: 9000)
            let stored = record.finalized()
            try await store.insert([stored])
            let log = try #require(try await store.log(id: stored.log.id, gatewayID: "g"))
            #expect(log.model == String(repeating: "ü", count: 256))
            #expect(log.eventID == String(repeating: "e", count: 512))
        }
    }

    @Test("a log's dynamic route is stored and read back, and counted among the route's paths", arguments: StoreKind.all)
    func routeFields(kind: StoreKind) async throws {
        try await kind.withStore { store in
            var routed = sampleRecord(index: 1)
            routed.route = LogRoute(name: "plans", versionID: "v1", path: ["start", "plan", "big"])
            var again = sampleRecord(index: 2)
            again.route = routed.route
            try await store.insert([routed.finalized(), again.finalized(), sampleRecord(index: 3).finalized()])
            #expect(try await store.log(id: routed.id, gatewayID: "g")?.route == routed.route)
            #expect(try await store.log(id: sampleRecord(index: 3).id, gatewayID: "g")?.route == nil)
            let paths = try await store.routePaths(gatewayID: "g", route: "plans", since: Date().addingTimeInterval(-60))
            #expect(paths.map(\.path) == ["start>plan>big"] && paths.first?.count == 2 && paths.first?.version == "v1")
        }
    }

    @Test("a large batch is written whole, across several statements, and a replayed batch writes nothing twice", arguments: StoreKind.all)
    func largeBatch(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let batch = (0..<2500).map { sampleRecord(index: $0).finalized() }
            try await store.insert(batch)
            try await store.insert(Array(batch.prefix(10)))
            #expect(try await store.count(gatewayID: "g") == 2500)
        }
    }
}

@Suite("The logs table, defined once for both stores")
struct LogColumnsTests {
    @Test("each database's definition has every column, in insert order, typed in its own words; later columns come by migration")
    func definitions() {
        for dialect in [SQLDialect.sqlite, .postgres] {
            let lines = LogColumns.createTable(dialect).split(separator: "\n").dropFirst().dropLast()
            let names = lines.map { String($0.split(separator: " ")[0]) }
            let added = (LogColumns.addRouteColumns(dialect) + LogColumns.addProtectionColumns(dialect)).map { String($0.split(separator: " ")[5]) }
            #expect(names + added == LogColumns.names)
        }
        #expect(LogColumns.createTable(.postgres).contains("    metadata JSONB,"))
        #expect(LogColumns.createTable(.postgres).contains("    duration BIGINT NOT NULL,"))
        #expect(LogColumns.createTable(.sqlite).contains("    success INTEGER NOT NULL,"))
        #expect(LogColumns.selectList(.postgres).contains("metadata::text AS metadata"))
    }

    @Test("values become PostgreSQL's text input: NULL as nil, bytes in hex")
    func textInput() {
        #expect(StoreValue.bytes([0, 255, 16]).text == "\\x00ff10")
        #expect(StoreValue.bool(true).text == "true")
        #expect(StoreValue.double(1e-7).text == "1e-07")
        #expect(StoreValue.null.text == nil)
    }
}
