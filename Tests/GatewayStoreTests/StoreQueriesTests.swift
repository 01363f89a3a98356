import AIGateway
import Foundation
import GatewayCore
import NIOCore
import Testing

@testable import GatewayStore

@Suite("Log stores, SQLite and PostgreSQL alike: the logs API's filters, ordering, paging, patches and deletes; gateways")
struct StoreQueriesTests {
    /// Ten logs in gateway `g`, request bodies over 2 KiB (index 0...9: provider openai for even, groq for odd; failures
    /// for multiples of 3; duration 10×index; created one second apart), two in gateway `other`.
    func withFilledStore<Result: Sendable>(_ kind: StoreKind, _ body: (any DataStore, [StoredLog]) async throws -> Result) async throws -> Result {
        try await kind.withStore { store in
            let start = Date(timeIntervalSince1970: 1_750_000_000)
            var logs: [StoredLog] = []
            for index in 0..<10 {
                var record = sampleRecord(index: index)
                record.id = ULID(date: start.addingTimeInterval(Double(index))).description
                record.createdAt = start.addingTimeInterval(Double(index))
                record.provider = index % 2 == 0 ? "openai" : "groq"
                record.success = index % 3 != 0
                record.statusCode = record.success ? 200 : 500
                record.durationMs = 10 * index
                // Bodies past the head's 2 KiB, so that each log has a row of bodies stored apart.
                record.requestBody = ByteBuffer(string: #"{"model":"gpt-4o-mini","input":""# + String(repeating: "x", count: 3000) + #""}"#)
                logs.append(record.finalized())
            }
            try await store.insert(logs)
            try await store.insert([sampleRecord(gateway: "other").finalized(), sampleRecord(gateway: "other").finalized()])
            return try await body(store, logs)
        }
    }

    func ids(_ page: LogPage) -> [String] { page.logs.map(\.id) }

    // Each test's body is a method of its own: `#expect(try await ...)` inside a closure does not compile (Swift 6.3).

    @Test("newest first, paged, with the total across pages", arguments: StoreKind.all)
    func paging(kind: StoreKind) async throws {
        try await withFilledStore(kind, pagingHolds)
    }

    func pagingHolds(store: any DataStore, logs: [StoredLog]) async throws {
        var query = LogQuery()
        query.perPage = 4
        query.page = 2
        let page = try await store.logs(gatewayID: "g", query: query)
        #expect(page.totalCount == 10)
        #expect(ids(page) == logs.reversed()[4..<8].map(\.log.id))
    }

    @Test("conditions combine; eq takes any of its values; neq, lt, gt, contains, bounds", arguments: StoreKind.all)
    func conditions(kind: StoreKind) async throws {
        try await withFilledStore(kind, conditionsHolds)
    }

    func conditionsHolds(store: any DataStore, logs: [StoredLog]) async throws {
        func matching(_ conditions: [LogCondition]) async throws -> Set<String> {
            var query = LogQuery()
            query.conditions = conditions
            query.perPage = 100
            return Set(ids(try await store.logs(gatewayID: "g", query: query)))
        }
        func expected(_ predicate: (Int) -> Bool) -> Set<String> {
            Set(logs.indices.filter(predicate).map { logs[$0].log.id })
        }
        #expect(try await matching([LogCondition(.provider, .equals, [.text("groq")])]) == expected { $0 % 2 == 1 })
        #expect(try await matching([LogCondition(.provider, .equals, [.text("groq"), .text("openai")])]) == expected { _ in true })
        #expect(
            try await matching([LogCondition(.provider, .equals, [.text("openai")]), LogCondition(.success, .equals, [.bool(false)])])
                == expected { $0 % 2 == 0 && $0 % 3 == 0 })
        #expect(try await matching([LogCondition(.provider, .notEquals, [.text("openai")])]) == expected { $0 % 2 == 1 })
        #expect(try await matching([LogCondition(.duration, .greaterThan, [.number(60)])]) == expected { $0 > 6 })
        #expect(try await matching([LogCondition(.duration, .lessThan, [.number(20)])]) == expected { $0 < 2 })
        #expect(try await matching([LogCondition(.duration, .atLeast, [.number(60)])]) == expected { $0 >= 6 })
        #expect(try await matching([LogCondition(.model, .contains, [.text("GPT-4o")])]) == expected { _ in true })
        #expect(try await matching([LogCondition(.tokens, .equals, [.number(18)])]) == expected { _ in true })
        #expect(try await matching([LogCondition(.feedback, .equals, [.null])]) == expected { _ in true })
        #expect(try await matching([LogCondition(.metadataKey, .equals, [.text("user")])]) == expected { _ in true })
        #expect(try await matching([LogCondition(.metadataValue, .equals, [.text("u4")])]) == expected { $0 == 4 })
        #expect(try await matching([LogCondition(.metadataValue, .notEquals, [.text("u4")])]) == expected { $0 != 4 })
        #expect(try await matching([LogCondition(.eventID, .equals, [.text("evt-7")])]) == expected { $0 == 7 })
        let fifth = logs[5].log.createdAt
        #expect(
            try await matching([LogCondition(.createdAt, .atLeast, [.date(Int64(fifth.timeIntervalSince1970 * 1000))])])
                == expected { $0 >= 5 })
    }

    @Test("search looks in metadata, event id and model; LIKE wildcards in it are literal", arguments: StoreKind.all)
    func search(kind: StoreKind) async throws {
        try await withFilledStore(kind, searchHolds)
    }

    func searchHolds(store: any DataStore, logs: [StoredLog]) async throws {
        var query = LogQuery()
        query.search = "evt-3"
        #expect(ids(try await store.logs(gatewayID: "g", query: query)) == [logs[3].log.id])
        query.search = "%"
        #expect(try await store.logs(gatewayID: "g", query: query).totalCount == 0)
    }

    @Test("ordering by another field, ascending", arguments: StoreKind.all)
    func ordering(kind: StoreKind) async throws {
        try await withFilledStore(kind, orderingHolds)
    }

    func orderingHolds(store: any DataStore, logs: [StoredLog]) async throws {
        var query = LogQuery()
        query.orderBy = .duration
        query.descending = false
        query.perPage = 3
        #expect(ids(try await store.logs(gatewayID: "g", query: query)) == logs.prefix(3).map(\.log.id))
    }

    @Test("concurrent patches of different fields all land", arguments: StoreKind.all)
    func concurrentPatches(kind: StoreKind) async throws {
        try await withFilledStore(kind, concurrentPatchesHolds)
    }

    func concurrentPatchesHolds(store: any DataStore, logs: [StoredLog]) async throws {
        let targets = logs.map(\.log.id)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in targets {
                group.addTask { _ = try await store.patchLog(id: id, gatewayID: "g", patch: LogPatch(feedback: 1)) }
                group.addTask { _ = try await store.patchLog(id: id, gatewayID: "g", patch: LogPatch(score: 77)) }
                group.addTask {
                    _ = try await store.patchLog(id: id, gatewayID: "g", patch: LogPatch(metadata: ["reviewed": true]))
                }
            }
            try await group.waitForAll()
        }
        for id in targets {
            let log = try #require(try await store.log(id: id, gatewayID: "g"))
            #expect(log.feedback == 1 && log.score == 77 && log.metadata == ["reviewed": .bool(true)])
        }
        let cleared = try await store.patchLog(id: targets[0], gatewayID: "g", patch: LogPatch(feedback: nil, metadata: nil))
        #expect(cleared?.feedback == nil && cleared?.metadata == nil && cleared?.score == 77)
        #expect(try await store.patchLog(id: targets[0], gatewayID: "other", patch: LogPatch(score: 1)) == nil)
        #expect(try await store.patchLog(id: "01ZZZZZZZZZZZZZZZZZZZZZZZZ", gatewayID: "g", patch: LogPatch(score: 1)) == nil)
    }

    @Test("delete by filters, with a limit taking the oldest first; bodies go with the logs", arguments: StoreKind.all)
    func deletion(kind: StoreKind) async throws {
        try await withFilledStore(kind, deletionHolds)
    }

    func deletionHolds(store: any DataStore, logs: [StoredLog]) async throws {
        var deletion = LogDeletion()
        deletion.conditions = [LogCondition(.success, .equals, [.bool(false)])]
        deletion.limit = 2
        #expect(try await store.deleteLogs(gatewayID: "g", deletion: deletion) == 2)
        #expect(try await store.log(id: logs[0].log.id, gatewayID: "g") == nil)
        #expect(try await store.log(id: logs[3].log.id, gatewayID: "g") == nil)
        #expect(try await store.log(id: logs[6].log.id, gatewayID: "g") != nil)
        #expect(try await store.separateBodies(id: logs[0].log.id).request == nil)
        #expect(try await store.separateBodies(id: logs[6].log.id).request?.count == logs[6].requestBody?.count)
        #expect(try await store.deleteLogs(gatewayID: "g", deletion: LogDeletion()) == 8)
        #expect(try await store.count(gatewayID: "other") == 2)
    }

    @Test("gateways: create once, save, list, delete with their logs", arguments: StoreKind.all)
    func gateways(kind: StoreKind) async throws {
        try await withFilledStore(kind, gatewaysHolds)
    }

    func gatewaysHolds(store: any DataStore, logs: [StoredLog]) async throws {
        var settings = GatewaySettings(id: "g")
        #expect(try await store.createGateway(settings))
        #expect(try await !store.createGateway(GatewaySettings(id: "g")))
        settings.cacheTTL = 60
        try await store.saveGateway(settings)
        #expect(try await store.gateways().map(\.cacheTTL) == [60])
        #expect(try await store.deleteGateway(id: "g"))
        #expect(try await store.count(gatewayID: "g") == 0)
        #expect(try await store.count(gatewayID: "other") == 2)
        #expect(try await !store.deleteGateway(id: "g"))
    }
}
