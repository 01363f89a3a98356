import AIGateway
import Foundation
import GatewayCore
import Logging
import MetricsTestKit
import ServiceLifecycle
import Synchronization
import Testing

@testable import GatewayStore

@Suite("Log writer: batches off the request path, drains on shutdown, never drops silently")
struct LogWriterTests {
    let logger = Logger(label: "test")

    /// Runs `writer` in a service group, calls `body`, then shuts the group down gracefully.
    func running(_ writer: LogWriter, _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(configuration: .init(services: [writer], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("every record submitted before shutdown is in the store after it")
    func drainsOnShutdown() async throws {
        let store = try await SQLiteStore.open(path: temporaryDatabasePath())
        try await store.migrate()
        var settings = LogQueueSettings()
        settings.batchSize = 64
        settings.flushIntervalMs = 10_000  // a long wait: only the shutdown drain can write the tail
        let writer = LogWriter(store: store, settings: settings, metrics: .discarding, logger: logger)
        try await running(writer) {
            for index in 0..<1000 { writer.submit(sampleRecord(index: index)) }
        }
        #expect(try await store.count(gatewayID: "g") == 1000)
        #expect(writer.pending == 0)
        try await store.close()
    }

    @Test("flush returns once every record accepted before it is in the store (read-your-writes)")
    func flushWaitsForWrites() async throws {
        let store = try await SQLiteStore.open(path: temporaryDatabasePath())
        try await store.migrate()
        var settings = LogQueueSettings()
        settings.batchSize = 50
        settings.flushIntervalMs = 200
        let writer = LogWriter(store: store, settings: settings, metrics: .discarding, logger: logger)
        try await running(writer) {
            let records = (0..<120).map { sampleRecord(index: $0) }
            for record in records { writer.submit(record) }
            // A generous bound: on a machine saturated by other work the writes can take a
            // while; what is checked is that flush does not return before they are done.
            await writer.flush(timeout: .seconds(60))
            #expect(try await store.count(gatewayID: "g") == 120)
            let last = try #require(records.last)
            #expect(try await store.log(id: last.id, gatewayID: "g") != nil)
            await writer.flush()  // nothing pending: returns at once
        }
        try await store.close()
    }

    @Test("flush gives up after its timeout when the store refuses writes")
    func flushTimesOut() async throws {
        let writer = LogWriter(store: BlockedStore(), settings: LogQueueSettings(), metrics: .discarding, logger: logger)
        writer.submit(sampleRecord())
        // The writer is not running, so nothing is written: flush must still return.
        await writer.flush(timeout: .milliseconds(50))
        #expect(writer.pending == 1)
    }

    @Test("a full queue drops new records and counts them")
    func dropsWhenFull() async throws {
        let store = BlockedStore()
        var settings = LogQueueSettings()
        settings.capacity = 10
        let registry = TestMetrics()
        let writer = LogWriter(store: store, settings: settings, metrics: GatewayMetrics(factory: registry), logger: logger)
        // Not running: nothing drains, so the 11th record on finds the queue full.
        for index in 0..<15 { writer.submit(sampleRecord(index: index)) }
        #expect(writer.pending == 10)
        #expect(try registry.expectCounter("aigw_logs_dropped_total").totalValue == 5)
    }

    @Test("a store that refuses writes for a while loses nothing: the batch is retried")
    func retriesFailedBatches() async throws {
        let inner = try await SQLiteStore.open(path: temporaryDatabasePath())
        try await inner.migrate()
        let store = FlakyStore(inner: inner, failures: 3)
        var settings = LogQueueSettings()
        settings.flushIntervalMs = 1
        let writer = LogWriter(store: store, settings: settings, metrics: .discarding, logger: logger)
        try await running(writer) {
            for index in 0..<50 { writer.submit(sampleRecord(index: index)) }
            // Wait (bounded) for the retries to get through before shutting down.
            for _ in 0..<200 where try await inner.count(gatewayID: "g") < 50 {
                try await Task.sleep(for: .milliseconds(25))
            }
        }
        #expect(store.failuresLeft == 0)
        #expect(try await inner.count(gatewayID: "g") == 50)
        try await inner.close()
    }

    @Test("a backlog is written in batches of at most the batch size, in the order submitted")
    func backlogInBatches() async throws {
        let store = RecordingStore()
        var settings = LogQueueSettings()
        settings.batchSize = 100
        settings.flushIntervalMs = 1
        let writer = LogWriter(store: store, settings: settings, metrics: .discarding, logger: logger)
        // Queued before the writer runs: its first take is the whole backlog.
        let records = (0..<1050).map { sampleRecord(index: $0) }
        for record in records { writer.submit(record) }
        try await running(writer) {
            await writer.flush(timeout: .seconds(60))
        }
        #expect(store.batchSizes.allSatisfy { $0 <= 100 }, "\(store.batchSizes)")
        #expect(store.batchSizes.reduce(0, +) == 1050)
        #expect(store.ids == records.map(\.id))
        #expect(writer.pending == 0)
    }

    @Test("records being written still count against the capacity")
    func capacityCountsRecordsInFlight() async throws {
        let store = GatedStore()
        var settings = LogQueueSettings()
        settings.capacity = 10
        settings.batchSize = 10
        settings.flushIntervalMs = 1
        let registry = TestMetrics()
        let writer = LogWriter(store: store, settings: settings, metrics: GatewayMetrics(factory: registry), logger: logger)
        try await running(writer) {
            for index in 0..<10 { writer.submit(sampleRecord(index: index)) }
            await store.firstInsertStarted()  // the ten are taken, and held by the store
            for index in 10..<13 { writer.submit(sampleRecord(index: index)) }
            #expect(writer.pending == 10)
            let dropped = try registry.expectCounter("aigw_logs_dropped_total").totalValue
            #expect(dropped == 3)
            store.open()
        }
        #expect(store.written == 10)
        #expect(writer.pending == 0)
    }

    @Test("a backlog is noticed when it drains, once; steady small takes are not a backlog")
    func backlogWatch() {
        var watch = BacklogWatch(batchSize: 100)
        // Takes in turn: under four batches is not behind; 400 is; 250 is still catching up;
        // 99 is caught up (noticed); a later small take is not noticed again.
        let noticed = [50, 399, 20, 400, 250, 99, 10].map { watch.drained(afterTaking: $0) }
        #expect(noticed == [false, false, false, false, false, true, false])
    }
}

/// A store whose inserts fail the first `failures` times.
final class FlakyStore: LogBatchStore {
    let inner: SQLiteStore
    private let remaining: Mutex<Int>
    init(inner: SQLiteStore, failures: Int) {
        self.inner = inner
        self.remaining = Mutex(failures)
    }
    var failuresLeft: Int { remaining.withLock { $0 } }
    struct Refused: Error {}
    func insert(_ logs: [StoredLog]) async throws {
        let fail = remaining.withLock { left -> Bool in
            guard left > 0 else { return false }
            left -= 1
            return true
        }
        if fail { throw Refused() }
        try await inner.insert(logs)
    }
}

/// A store that is never reached (the writer is not running).
final class BlockedStore: LogBatchStore {
    func insert(_ logs: [StoredLog]) async throws { Issue.record("nothing should be written") }
}

/// A store that keeps what it is given, in order.
final class RecordingStore: LogBatchStore {
    private let batches = Mutex<[[String]]>([])
    var batchSizes: [Int] { batches.withLock { $0.map(\.count) } }
    var ids: [String] { batches.withLock { $0.flatMap { $0 } } }
    func insert(_ logs: [StoredLog]) async throws {
        batches.withLock { $0.append(logs.map(\.log.id)) }
    }
}

/// A store whose inserts wait until it is opened.
final class GatedStore: LogBatchStore {
    private let state = Mutex<(isOpen: Bool, written: Int, started: Bool)>((false, 0, false))
    var written: Int { state.withLock { $0.written } }
    func open() { state.withLock { $0.isOpen = true } }
    /// Returns once an insert has begun.
    func firstInsertStarted() async {
        while !state.withLock({ $0.started }) { try? await Task.sleep(for: .milliseconds(5)) }
    }
    func insert(_ logs: [StoredLog]) async throws {
        state.withLock { $0.started = true }
        while !state.withLock({ $0.isOpen }) { try await Task.sleep(for: .milliseconds(5)) }
        state.withLock { $0.written += logs.count }
    }
}
