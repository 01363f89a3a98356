import AIGateway
import Foundation
import GatewayCore
import Logging
import MetricsTestKit
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import GatewayStore

@Suite("Log writer: batches off the request path, drains on shutdown, never drops silently")
struct LogWriterTests {
    let logger = Logger.quietUnlessAsked()

    /// A writer into `store`, its settings changed by `change`, and the metrics it counts into.
    func writer(into store: any LogBatchStore, _ change: (inout LogQueueSettings) -> Void) -> (LogWriter, TestMetrics) {
        var settings = LogQueueSettings()
        change(&settings)
        let registry = TestMetrics()
        return (LogWriter(store: store, settings: settings, metrics: GatewayMetrics(factory: registry), logger: logger), registry)
    }

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
        let store = try await SQLiteStore.open(path: temporaryDatabasePath(), logger: .quietUnlessAsked())
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
        let store = try await SQLiteStore.open(path: temporaryDatabasePath(), logger: .quietUnlessAsked())
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
        let (writer, registry) = writer(into: store) { $0.capacity = 10 }
        // Not running: nothing drains, so the 11th record on finds the queue full.
        for index in 0..<15 { writer.submit(sampleRecord(index: index)) }
        #expect(writer.pending == 10)
        #expect(try registry.expectCounter("aigw_logs_dropped_total").totalValue == 5)
    }

    @Test("a store that refuses writes for a while loses nothing: the batch is retried")
    func retriesFailedBatches() async throws {
        let inner = try await SQLiteStore.open(path: temporaryDatabasePath(), logger: .quietUnlessAsked())
        try await inner.migrate()
        let store = FlakyStore(inner: inner, failures: 3)
        var settings = LogQueueSettings()
        settings.flushIntervalMs = 1
        let writer = LogWriter(store: store, settings: settings, metrics: .discarding, logger: logger)
        try await running(writer) {
            for index in 0..<50 { writer.submit(sampleRecord(index: index)) }
            // The retries get through before shutting down.
            let happened = try await eventually { try await inner.count(gatewayID: "g") == 50 }
            #expect(happened)
        }
        #expect(store.failuresLeft == 0)
        #expect(try await inner.count(gatewayID: "g") == 50)
        try await inner.close()
    }

    @Test("a record the store refuses is dropped, counted and logged; the rest of its batch, and the batches after it, are written once")
    func refusedRecordWrittenAround() async throws {
        let store = RefusingStore()
        let (writer, registry) = writer(into: store) { $0.flushIntervalMs = 1 }
        var records = (0..<40).map { sampleRecord(index: $0) }
        records[7].error = RefusingStore.refusedError
        records[30].error = RefusingStore.refusedError
        for record in records { writer.submit(record) }
        try await running(writer) {
            await writer.flush(timeout: .seconds(30))
            writer.submit(sampleRecord(index: 40))
            await writer.flush(timeout: .seconds(30))
        }
        let refused = [records[7].id, records[30].id]
        #expect(store.ids.count == 39)
        #expect(Set(store.ids) == Set(records.map(\.id) + [store.ids.last ?? ""]).subtracting(refused))
        #expect(try registry.expectCounter("aigw_logs_dropped_total").totalValue == 2)
        #expect(try registry.expectCounter("aigw_logs_written_total").totalValue == 39)
        #expect(writer.pending == 0)
    }

    @Test("a store that goes away while a refused batch is written around loses nothing: the batch is retried whole")
    func outageWhileWritingAround() async throws {
        let store = RefusingStore(outagesAfterRefusal: 2)
        var settings = LogQueueSettings()
        settings.flushIntervalMs = 1
        let writer = LogWriter(store: store, settings: settings, metrics: .discarding, logger: logger)
        var records = (0..<10).map { sampleRecord(index: $0) }
        records[4].error = RefusingStore.refusedError
        for record in records { writer.submit(record) }
        try await running(writer) {
            await writer.flush(timeout: .seconds(30))
        }
        #expect(store.outagesLeft == 0)
        #expect(Set(store.ids) == Set(records.map(\.id)).subtracting([records[4].id]))
        #expect(store.ids.count == 9)
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
        let (writer, registry) = writer(into: store) { $0.capacity = 10; $0.batchSize = 10; $0.flushIntervalMs = 1 }
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
    private let started = Signal()
    private let opened = Signal()
    private let count = Mutex(0)
    var written: Int { count.withLock { $0 } }
    func open() { opened.fire() }
    /// Returns once an insert has begun.
    func firstInsertStarted() async { await started.wait() }
    func insert(_ logs: [StoredLog]) async throws {
        started.fire()
        await opened.wait()
        count.withLock { $0 += logs.count }
    }
}

/// A store that refuses any batch holding a log whose error is ``refusedError`` (as a
/// database refuses a value), writes the rest idempotently, and can go away a few times
/// right after a refusal.
final class RefusingStore: LogBatchStore {
    static let refusedError = "a value this store refuses"
    struct Refusal: Error {}
    struct Outage: Error {}
    private let state: Mutex<(ids: [String], outages: Int)>
    init(outagesAfterRefusal: Int = 0) { state = Mutex(([], outagesAfterRefusal)) }
    var ids: [String] { state.withLock { $0.ids } }
    var outagesLeft: Int { state.withLock { $0.outages } }
    private let refusedOnce = Mutex(false)

    func insert(_ logs: [StoredLog]) async throws {
        if refusedOnce.withLock({ $0 }) {
            let outage = state.withLock { state -> Bool in
                guard state.outages > 0 else { return false }
                state.outages -= 1
                return true
            }
            if outage { throw Outage() }
        }
        if logs.contains(where: { $0.log.error == Self.refusedError }) {
            refusedOnce.withLock { $0 = true }
            throw Refusal()
        }
        state.withLock { state in
            for log in logs where !state.ids.contains(log.log.id) { state.ids.append(log.log.id) }
        }
    }

    func isRefusal(_ error: any Error) -> Bool { error is Refusal }
}

@Suite("Log writer against real stores: what each store calls a refusal")
struct LogWriterRefusalTests {
    @Test("a value the store refuses costs that log alone; the others of its batch are written", arguments: StoreKind.all)
    func refusedValue(kind: StoreKind) async throws {
        try await kind.withStore { store in
            var settings = LogQueueSettings()
            settings.flushIntervalMs = 1
            let registry = TestMetrics()
            let writer = LogWriter(
                store: store, settings: settings, metrics: GatewayMetrics(factory: registry), logger: Logger.quietUnlessAsked())
            let gateway = "refusal-\(ULID().description.lowercased())"
            var records = (0..<10).map { sampleRecord(gateway: gateway, index: $0) }
            // PostgreSQL's status_code is a 32-bit integer: this one is out of range there.
            records[3].statusCode = Int(Int32.max) + 1
            let group = ServiceGroup(configuration: .init(services: [writer], logger: Logger.quietUnlessAsked()))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                for record in records { writer.submit(record) }
                await writer.flush(timeout: .seconds(30))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            let refusedByThisStore = kind == .postgres ? 1 : 0
            #expect(try await store.count(gatewayID: gateway) == 10 - refusedByThisStore)
            if kind == .postgres { #expect(try await store.log(id: records[3].id, gatewayID: gateway) == nil) }
            #expect(try registry.expectCounter("aigw_logs_dropped_total").totalValue == refusedByThisStore)
        }
    }

    @Test("SQLite: a broken constraint is a refusal; a malformed statement or an unrelated error is not")
    func sqliteRefusals() async throws {
        let store = try await SQLiteStore.open(path: temporaryDatabasePath(), logger: .quietUnlessAsked())
        try await store.migrate()
        do {
            _ = try await store.api.query("INSERT INTO log_bodies (log_id) VALUES ('no such log')").get()
            Issue.record("expected a foreign key failure")
        } catch {
            #expect(store.isRefusal(error), "\(error)")
        }
        do {
            _ = try await store.api.query("INSERT INTO nowhere VALUES (1)").get()
            Issue.record("expected an error")
        } catch {
            #expect(!store.isRefusal(error), "\(error)")
        }
        #expect(!store.isRefusal(CancellationError()))
        try await store.close()
    }
}
