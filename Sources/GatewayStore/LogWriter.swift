import GatewayCore
import Logging
import ServiceLifecycle
import Synchronization
import Tracing

/// Takes finished log records from the request path and writes them to a store in
/// batches, one transaction per batch, off the request path.
///
/// - Queue: bounded at `capacity` records. When it is full a new record is **dropped and
///   counted** (`aigw_logs_dropped_total`, and a warning in the process log): the request
///   path never waits on the database.
/// - Batches: up to `batchSize` records; a partial batch waits at most `flushInterval`
///   for company, so a quiet gateway writes promptly and a busy one writes in bulk. When
///   logs are durable (answers wait for their log, ``waitUntilWritten()``) it waits for no
///   company: what arrives while one batch is written goes in the next (group commit).
/// - Backlog: a writer that fell behind takes the whole queue at once and writes it batch
///   after batch, reading the next batch's usage while the store inserts one.
/// - Failures: a batch the store cannot write stays queued and is retried with backoff, so a
///   database that goes away loses nothing until the queue itself is full. A batch the store
///   refuses for a value one of its records holds (``LogBatchStore/isRefusal(_:)``) is written
///   around that record, found by halving; the record alone is dropped, counted and logged.
/// - Shutdown: on graceful shutdown (SIGTERM, SIGINT) it writes every record it accepted,
///   then returns. The server stops first, so no record arrives after the drain.
public final class LogWriter: LogSink, Service {
    private struct State {
        var queue: [LogRecord] = []
        /// Records taken from the queue and not yet written: still within `capacity`.
        var writing = 0
        var shuttingDown = false
        var stopped = false
        var droppedSinceWarning = 0
        /// Records accepted since start, and of those, how many are written (or given up on).
        var accepted = 0
        var settled = 0
        /// Callers of ``flush()`` waiting for `settled` to reach their target.
        var flushWaiters: [Int: (target: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextWaiterID = 0

        /// Marks `count` more records settled and returns the waiters that may now go on.
        mutating func settle(_ count: Int) -> [CheckedContinuation<Void, Never>] {
            settled += count
            writing -= count
            let ready = flushWaiters.filter { $0.value.target <= settled }
            for id in ready.keys { flushWaiters[id] = nil }
            return ready.values.map(\.continuation)
        }
    }

    private let state = Mutex(State())
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation
    private let store: any LogBatchStore
    private let settings: LogQueueSettings
    private let metrics: GatewayMetrics
    private let logger: Logger
    private let prices: PriceTable
    private let management: LogManagement?

    /// A writer into `store`, queueing as `settings` say, pricing logs with `prices`, keeping
    /// each gateway's `log_management` limit with `management`.
    public init(
        store: any LogBatchStore, settings: LogQueueSettings, metrics: GatewayMetrics, logger: Logger,
        prices: PriceTable = .empty, management: LogManagement? = nil
    ) {
        (doorbell, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.management = management
        self.prices = prices
        self.store = store
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    /// Queues one record, or drops and counts it when the queue is full. Never waits.
    public func submit(_ record: LogRecord) {
        let (accepted, depth, warnDropped) = state.withLock { state -> (Bool, Int, Int) in
            guard state.queue.count + state.writing < settings.capacity else {
                state.droppedSinceWarning += 1
                // Warn on the first drop and every 1,000th after it, not on every one.
                let warn = state.droppedSinceWarning == 1 || state.droppedSinceWarning % 1000 == 0
                return (false, state.queue.count + state.writing, warn ? state.droppedSinceWarning : 0)
            }
            state.queue.append(record)
            state.accepted += 1
            return (true, state.queue.count + state.writing, 0)
        }
        if accepted {
            ring.yield()
        } else {
            metrics.logsDropped(1)
            if warnDropped > 0 {
                logger.warning(
                    "log queue full: record dropped",
                    metadata: ["capacity": "\(settings.capacity)", "dropped_so_far": "\(warnDropped)"])
            }
        }
        metrics.logQueueDepth(depth)
    }

    /// Records accepted and not yet written.
    public var pending: Int { state.withLock { $0.queue.count + $0.writing } }

    /// Waits until every record accepted before the call is written (or, if the store
    /// refuses it at shutdown, given up on), at most `timeout`. Gives the management API
    /// read-your-writes: a log id just returned in `cf-aig-log-id` can be read and patched.
    public func flush(timeout: Duration = .seconds(5)) async {
        let id: Int? = state.withLock { state in
            guard state.settled < state.accepted, !state.stopped else { return nil }
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        guard let id else { return }
        ring.yield()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let settledAlready = self.state.withLock { state -> Bool in
                        guard state.settled < state.accepted, !state.stopped else { return true }
                        state.flushWaiters[id] = (state.accepted, continuation)
                        return false
                    }
                    if settledAlready { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            // Whichever finished first, make sure the other does too.
            self.state.withLock { $0.flushWaiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }

    /// The durable mode's barrier: waits until every record accepted before the call is
    /// written. A store that cannot be written for 5 s lets the answer go on, its log queued.
    public func waitUntilWritten() async {
        await flush()
    }

    /// Where the writer's own work runs: a thread of its own, off the event loops that serve
    /// clients (the store's driver does its blocking calls on its own threads).
    static let executor = DedicatedThreadExecutor(name: "aigw-log-writer")

    /// Writes batches until graceful shutdown, then drains the queue and returns.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskExecutorPreference(Self.executor) { await self.writeLoop() }
        } onGracefulShutdown: {
            self.state.withLock { $0.shuttingDown = true }
            self.ring.yield()
        }
        ring.finish()
        let waiting = state.withLock { state in
            state.stopped = true
            defer { state.flushWaiters = [:] }
            return state.flushWaiters.values.map(\.continuation)
        }
        for continuation in waiting { continuation.resume() }
    }

    private func writeLoop() async {
        var bell = doorbell.makeAsyncIterator()
        while !Task.isCancelled {
            var (records, shuttingDown) = takeQueue()
            if records.isEmpty {
                if shuttingDown { return }
                guard await bell.next() != nil else { return }
                continue
            }
            if records.count < settings.batchSize, !shuttingDown, !settings.durable {
                // Give a partial batch company, but never make shutdown wait for it.
                try? await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: .milliseconds(self.settings.flushIntervalMs))
                }
                records += takeQueue().records
            }
            await write(records)
        }
        // Cancelled (a forced stop): what is still queued cannot be written. Count it.
        let abandoned = takeQueue().records.count
        if abandoned > 0 {
            metrics.logsDropped(abandoned)
            logger.critical("log writer cancelled: queued records dropped", metadata: ["records": "\(abandoned)"])
        }
    }

    /// Everything queued, taken at once: the lock is held for a swap, never for a copy or a
    /// shift of a long queue (a request's `submit` waits on the same lock). The records count
    /// against the capacity until they are written.
    private func takeQueue() -> (records: [LogRecord], shuttingDown: Bool) {
        var records: [LogRecord] = []
        records.reserveCapacity(min(settings.batchSize, settings.capacity))  // outside the lock
        return state.withLock { state in
            swap(&records, &state.queue)
            state.writing += records.count
            return (records, state.shuttingDown)
        }
    }

    /// Writes `records` in batches, in order. While the store inserts one batch, the next is
    /// finalized (usage read, cost priced), so a writer that fell behind keeps the store busy.
    /// Whether the access log is written: the process log is at `info` or finer.
    private var accessLog: Bool { logger.logLevel <= .info }

    private func write(_ records: [LogRecord]) async {
        await withTaskGroup(of: Void.self) { inserts in
            var inserting = false
            for start in stride(from: 0, to: records.count, by: settings.batchSize) {
                let batch = records[start..<min(start + settings.batchSize, records.count)]
                let finalized = batch.map { $0.finalized(prices: prices) }
                for (record, log) in zip(batch, finalized) {
                    // A request with exporters gets each log's span, now that its fields are known.
                    record.trace?.addLog(log, record: record)
                    metrics.usage(
                        provider: log.log.provider, model: log.log.model, tokensIn: log.log.tokensIn, tokensOut: log.log.tokensOut,
                        cost: log.log.cost)
                    if accessLog { logger.info("\(AccessLog.line(log.log, method: record.method, stored: record.stored))") }
                }
                // Records made only for their spans (logs not collected) are not stored.
                let stored = zip(batch, finalized).filter { $0.0.stored }.map(\.1)
                let taken = batch.count
                if inserting { await inserts.next() }
                inserts.addTask { await self.insert(stored, settling: taken) }
                inserting = true
            }
        }
    }

    /// Inserts one batch, retrying with backoff while the store refuses it, then settles it.
    /// During shutdown it gives up after a few tries and counts the records as dropped, so a
    /// dead database cannot hold the process forever.
    private func insert(_ stored: [StoredLog], settling taken: Int) async {
        if !stored.isEmpty {
            // A span of the process's own traces (a no-op unless `tracing` is configured).
            await withSpan("aigw.store.insert_logs") { span in
                span.attributes["aigw.logs"] = stored.count
                await attemptInsert(stored)
            }
        }
        for continuation in state.withLock({ $0.settle(taken) }) { continuation.resume() }
    }

    private func attemptInsert(_ batch: [StoredLog]) async {
        var delay = Duration.milliseconds(100)
        var failures = 0
        var stored = batch
        while true {
            do {
                if let management { stored = try await management.admit(batch) }
                try await store.insert(stored)
                metrics.logsWritten(stored.count)
                metrics.logQueueDepth(pending)
                await enforceLimits(after: stored)
                return
            } catch {
                // A cancelled writer (a forced stop, not a graceful one) cannot write or wait:
                // count the batch as dropped rather than spin on it.
                if Task.isCancelled {
                    metrics.logsDropped(stored.count)
                    logger.critical("log writer cancelled: batch dropped", metadata: ["records": "\(stored.count)"])
                    return
                }
                // A value the store refuses would fail this batch on every retry, and every
                // batch behind it would wait: write around the records at fault instead.
                if store.isRefusal(error), let refused = await writeAroundRefused(stored) {
                    metrics.logsWritten(stored.count - refused.count)
                    if !refused.isEmpty {
                        metrics.logsDropped(refused.count)
                        logger.critical(
                            "log refused by the store: dropped",
                            metadata: ["ids": "\(refused.map(\.log.id))", "error": "\(error)"])
                    }
                    return
                }
                failures += 1
                metrics.logWriteFailed()
                logger.error(
                    "log batch not written; will retry",
                    metadata: ["records": "\(stored.count)", "attempt": "\(failures)", "error": "\(error)"])
                let shuttingDown = state.withLock { $0.shuttingDown }
                if shuttingDown, failures >= 5 {
                    metrics.logsDropped(stored.count)
                    logger.critical("log batch dropped at shutdown", metadata: ["records": "\(stored.count)"])
                    return
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}

extension LogWriter {
    /// Trims the batch's gateways to their `log_management` limits. A failure is logged, not
    /// retried: the next batch of the gateway (or the periodic pass) trims again.
    private func enforceLimits(after stored: [StoredLog]) async {
        guard let management else { return }
        do {
            try await management.enforce(after: stored)
        } catch {
            logger.error("log_management not enforced for this batch", metadata: ["error": "\(error)"])
        }
    }

    /// Writes `batch` in halves, and halves of refused halves, down to single records, and
    /// returns the records the store refused alone. Returns nil when a part failed for any
    /// other reason (the store went away meanwhile): the caller retries the whole batch,
    /// which is safe since inserts are idempotent.
    private func writeAroundRefused(_ batch: [StoredLog]) async -> [StoredLog]? {
        var parts = [batch[...]]
        var refused: [StoredLog] = []
        while let part = parts.popLast() {
            do {
                try await store.insert(Array(part))
            } catch where store.isRefusal(error) {
                guard part.count > 1 else {
                    refused.append(part[part.startIndex])
                    continue
                }
                let middle = part.startIndex + part.count / 2
                parts.append(part[middle...])
                parts.append(part[..<middle])
            } catch {
                return nil
            }
        }
        return refused
    }
}
