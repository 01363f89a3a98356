import AIGateway
import Foundation
import GatewayCore
import Logging
import MetricsTestKit
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

@testable import GatewayStore

/// Gateway settings a test changes while writers run.
final class SettingsBoard: Sendable {
    private let settings = Mutex<[String: GatewaySettings]>([:])
    func put(_ gateway: GatewaySettings) { settings.withLock { $0[gateway.id] = gateway } }
    func get(_ id: String) -> GatewaySettings? { settings.withLock { $0[id] } }
    func all() -> [GatewaySettings] { settings.withLock { Array($0.values) } }
}

@Suite("Log management: a gateway's log count held exactly, by the writer and the retention pass")
struct LogManagementTests {
    func gateway(_ id: String, keep: Int?, strategy: String?, retentionDays: Int? = nil) -> GatewaySettings {
        var settings = GatewaySettings(id: id)
        settings.logManagement = keep
        settings.logManagementStrategy = strategy
        settings.logRetentionDays = retentionDays
        return settings
    }

    /// `count` records of `gateway`, one millisecond apart from `start`, oldest first.
    func records(_ gateway: String, count: Int, start: Date = Date()) -> [LogRecord] {
        (0..<count).map { index in
            var record = sampleRecord(gateway: gateway, index: index)
            record.createdAt = start.addingTimeInterval(Double(index) / 1000)
            record.id = ULID(date: record.createdAt).description
            return record
        }
    }

    /// Runs writers (one per "process") over `store` while `body` submits to them, then drains them.
    func withWriters(
        _ count: Int, store: any DataStore, board: SettingsBoard, metrics: GatewayMetrics = .discarding,
        batchSize: Int = 100, _ body: ([LogWriter]) async throws -> Void
    ) async throws {
        var settings = LogQueueSettings()
        settings.flushIntervalMs = 1
        settings.batchSize = batchSize
        let writers = (0..<count).map { _ in
            LogWriter(
                store: store, settings: settings, metrics: metrics, logger: Logger.quietUnlessAsked(),
                management: LogManagement(store: store, metrics: metrics) { board.get($0) })
        }
        let group = ServiceGroup(configuration: .init(services: writers, logger: Logger.quietUnlessAsked()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body(writers)
            for writer in writers { await writer.flush(timeout: .seconds(60)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    func storedIDs(_ store: any DataStore, _ gateway: String) async throws -> Set<String> {
        var query = LogQuery()
        query.perPage = LogQuery.maximumPerPage
        return Set(try await store.logs(gatewayID: gateway, query: query).logs.map(\.id))
    }

    @Test("DELETE_OLDEST: 1,000 logs through two writers in small batches leave exactly the newest 100", arguments: StoreKind.all)
    func deleteOldest(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let board = SettingsBoard()
            board.put(gateway("rolling", keep: 100, strategy: "DELETE_OLDEST"))
            let all = records("rolling", count: 1000)
            try await withWriters(2, store: store, board: board, batchSize: 37) { writers in
                for (index, record) in all.enumerated() { writers[index % 2].submit(record) }
            }
            #expect(try await store.count(gatewayID: "rolling") == 100)
            #expect(try await store.logCount(gatewayID: "rolling") == 100)
            #expect(try await storedIDs(store, "rolling") == Set(all.suffix(100).map(\.id)))
        }
    }

    @Test("STOP_INSERTING: the first 50 are kept, the rest not stored and counted", arguments: StoreKind.all)
    func stopInserting(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let board = SettingsBoard()
            board.put(gateway("capped", keep: 50, strategy: "STOP_INSERTING"))
            board.put(gateway("free", keep: nil, strategy: nil))
            let registry = TestMetrics()
            let capped = records("capped", count: 200)
            try await withWriters(1, store: store, board: board, metrics: GatewayMetrics(factory: registry), batchSize: 30) { writers in
                for record in capped { writers[0].submit(record) }
                for record in records("free", count: 70) { writers[0].submit(record) }
            }
            #expect(try await store.count(gatewayID: "capped") == 50)
            #expect(try await store.count(gatewayID: "free") == 70)
            #expect(try await storedIDs(store, "capped") == Set(capped.prefix(50).map(\.id)))
            #expect(try registry.expectCounter("aigw_logs_not_stored_total", [("reason", "log_management")]).totalValue == 150)
        }
    }

    @Test("STOP_INSERTING with two writers at once still keeps exactly the limit", arguments: StoreKind.all)
    func stopInsertingConcurrently(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let board = SettingsBoard()
            board.put(gateway("capped", keep: 64, strategy: "STOP_INSERTING"))
            try await withWriters(2, store: store, board: board, batchSize: 25) { writers in
                for (index, record) in records("capped", count: 400).enumerated() { writers[index % 2].submit(record) }
            }
            #expect(try await store.count(gatewayID: "capped") == 64)
        }
    }

    @Test("retention deletes what is older than the gateway's days, in chunks, and nothing newer; a lowered limit is trimmed by the pass", arguments: StoreKind.all)
    func retention(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let board = SettingsBoard()
            board.put(gateway("aged", keep: nil, strategy: nil, retentionDays: 7))
            board.put(gateway("kept", keep: nil, strategy: nil))
            let old = records("aged", count: 30, start: Date().addingTimeInterval(-8 * 86_400))
            let recent = records("aged", count: 20, start: Date().addingTimeInterval(-6 * 86_400))
            let other = records("kept", count: 10, start: Date().addingTimeInterval(-30 * 86_400))
            try await withWriters(1, store: store, board: board) { writers in
                for record in old + recent + other { writers[0].submit(record) }
            }
            let retention = LogRetention(
                store: store, management: LogManagement(store: store, metrics: .discarding) { board.get($0) },
                logger: Logger.quietUnlessAsked(), gateways: { board.all() })
            #expect(try await retention.runOnce() == 30)
            #expect(try await storedIDs(store, "aged") == Set(recent.map(\.id)))
            #expect(try await store.count(gatewayID: "kept") == 10)
            #expect(try await retention.runOnce() == 0)

            board.put(gateway("kept", keep: 4, strategy: "DELETE_OLDEST"))
            try await retention.runOnce()
            #expect(try await storedIDs(store, "kept") == Set(other.suffix(4).map(\.id)))
        }
    }

    @Test("SQLite: a file whose logs are rotated by DELETE_OLDEST stops growing")
    func sqliteFileStopsGrowing() async throws {
        let path = temporaryDatabasePath()
        let store = try await SQLiteStore.open(path: path, logger: .quietUnlessAsked())
        try await store.whileRunning {
            try await store.migrate()
            let board = SettingsBoard()
            board.put(gateway("rolling", keep: 500, strategy: "DELETE_OLDEST"))
            var sizes: [Int] = []
            for round in 0..<6 {
                try await withWriters(1, store: store, board: board) { writers in
                    for record in records("rolling", count: 1000, start: Date().addingTimeInterval(Double(round))) {
                        writers[0].submit(record)
                    }
                }
                _ = try await store.api.query("PRAGMA wal_checkpoint(TRUNCATE)")
                let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
                sizes.append(size)
            }
            #expect(try await store.count(gatewayID: "rolling") == 500)
            // After the first rounds the file reuses and gives back what rotation frees.
            #expect(sizes[5] <= sizes[1] + sizes[1] / 10, "\(sizes)")
        }
    }
}
