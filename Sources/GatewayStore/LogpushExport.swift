import AIGateway
import CompressNIO
import Foundation
import GatewayCore
import Logging
import NIOCore
import ServiceLifecycle

/// Logpush (SPEC section 11): exports the stored logs of gateways with `logpush` on, sealed
/// for each gateway's public key, to the configured directory or endpoint, in the order they
/// were stored, at least once, resuming after a restart or a crash.
///
/// Each pass: take the lease (one exporting process per database), finish the open file if it
/// is due, read the oldest queued logs (`logpush_outbox`, filled by the log batches' own
/// transactions), seal each as one NDJSON line, deliver the batch as one gzip member (flushed
/// to disk) or one POST, then in one transaction remove the batch from the queue and save the
/// cursor. A crash before that transaction re-exports the batch: with files the undelivered
/// bytes are cut off first (``LogpushFiles/recover(_:)``), so files hold each log once; an
/// endpoint may receive the batch in flight twice.
public final class LogpushExport: Service, Sendable {
    enum Destination: Sendable {
        case files(LogpushFiles)
        case http(LogpushHTTP)
    }

    private let store: any LogpushStore
    private let destination: Destination
    private let settings: LogpushDestinationSettings
    private let gateways: @Sendable (String) -> GatewaySettings?
    private let status: LogpushStatus
    private let metrics: GatewayMetrics
    private let logger: Logger
    private let ready: ReadyGate
    /// Who holds the lease: this process.
    private let holder = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"

    /// An exporter of `store`'s queued logs to `settings`' destination; `gateways` gives each
    /// gateway's settings (its public key).
    public init(
        store: any LogpushStore, settings: LogpushDestinationSettings, gateways: @escaping @Sendable (String) -> GatewaySettings?,
        status: LogpushStatus, metrics: GatewayMetrics, logger: Logger, ready: ReadyGate = ReadyGate.opened
    ) throws {
        self.ready = ready
        self.store = store
        self.settings = settings
        if let directory = settings.directory {
            destination = .files(
                LogpushFiles(directory: directory, maxBytes: settings.maxFileBytes, maxAge: .seconds(settings.maxFileAgeSeconds)))
        } else {
            destination = .http(try LogpushHTTP(url: settings.url ?? "", headers: settings.headers))
        }
        self.gateways = gateways
        self.status = status
        self.metrics = metrics
        self.logger = logger
        status.update { $0.destination = settings.directory ?? settings.url }
    }

    /// File work and sealing run on their own thread, never on the server's event loops.
    static let executor = DedicatedThreadExecutor(name: "aigw-logpush")

    /// Exports until graceful shutdown; then exports what the log writer stored last and
    /// finishes the open file.
    public func run() async throws {
        // The queue's tables exist once the store is migrated.
        try await cancelWhenGracefulShutdown { await self.ready.wait() }
        await withTaskExecutorPreference(Self.executor) {
            // Where the destination stands, while this process holds the lease: read from the
            // store when it takes the lease (another process may have written since), kept
            // in step with it after each delivery, given up with the lease.
            var cursor: LogpushFileCursor?
            var holding = false
            var failures = 0
            var measured: ContinuousClock.Instant?
            while true {
                let stopping = Task.isShuttingDownGracefully || Task.isCancelled
                do {
                    // At shutdown: keep going while batches come full, then stop.
                    let full = try await pass(&cursor, holding: &holding)
                    // The backlog (a count over the queue) once caught up, and at most once an
                    // interval while catching up: not once a batch.
                    if !full || measured.map({ .now - $0 >= .milliseconds(settings.intervalMs) }) ?? true {
                        try await measureBacklog()
                        measured = .now
                    }
                    failures = 0
                    if stopping, !full { break }
                    if full { continue }
                } catch {
                    failures += 1
                    holding = false  // read the cursor again: the failure may have left it behind
                    metrics.logpushFailed()
                    status.update { $0.lastError = "\(error)" }
                    logger.warning("Logpush delivery failed; will retry", metadata: ["error": "\(error)", "attempt": "\(failures)"])
                    if stopping, failures >= 3 { break }
                }
                let wait = failures == 0 ? Duration.milliseconds(settings.intervalMs) : min(.milliseconds(settings.intervalMs) * (1 << min(failures, 6)), .seconds(60))
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            }
            if holding, case .files(let files) = destination, let open = cursor {
                do {
                    try files.finish(open)
                    try await store.logpushCommit(delivered: [], cursor: nil)
                    status.update { $0.lastFile = String(open.file.dropLast(".partial".count)) }
                } catch {
                    logger.warning("Logpush could not finish its file at shutdown", metadata: ["error": "\(error)"])
                }
            }
            if case .http(let http) = destination { await http.shutdown() }
            // Another process takes over at once, not when the lease would have run out.
            if holding { try? await store.logpushRelease(holder: holder) }
        }
    }

    /// Brings the backlog's metrics and the dashboard's reading up to date.
    private func measureBacklog() async throws {
        let backlog = try await store.logpushBacklog()
        let lag = backlog.oldest.map { max(0, Date().timeIntervalSince($0)) } ?? 0
        metrics.logpushBacklog(lagSeconds: lag, logs: backlog.count)
        status.update {
            $0.pending = backlog.count
            $0.lagSeconds = lag
        }
    }

    /// Puts the destination back to the saved cursor.
    private func recover() async throws -> LogpushFileCursor? {
        guard case .files(let files) = destination else { return nil }
        let saved = try await store.logpushCursor().flatMap { try? JSONDecoder().decode(LogpushFileCursor.self, from: Data($0.utf8)) }
        let cursor = try files.recover(saved)
        if saved != nil, cursor == nil { try await store.logpushCommit(delivered: [], cursor: nil) }
        return cursor
    }

    /// One batch; returns whether it was full (more may be waiting).
    private func pass(_ cursor: inout LogpushFileCursor?, holding: inout Bool) async throws -> Bool {
        // Longer than a delivery can take (the endpoint's 30 s timeout), so that a lease never
        // runs out under a batch in flight; after a crash another process takes over within it.
        guard try await store.logpushClaim(holder: holder, seconds: 60) else {
            holding = false
            return false
        }
        if !holding {
            // Just taken (at start, or from another process): the store says where things stand.
            cursor = try await recover()
            holding = true
        }
        if case .files(let files) = destination, let open = cursor, files.isDue(open) {
            try files.finish(open)
            try await store.logpushCommit(delivered: [], cursor: nil)
            cursor = nil
            status.update { $0.lastFile = String(open.file.dropLast(".partial".count)) }
        }
        let pending = try await store.logpushPending(limit: settings.batchSize)
        guard !pending.isEmpty else { return false }

        var lines: [UInt8] = []
        var recipients: [String: LogpushRecipient] = [:]
        var skipped = 0
        for entry in pending {
            guard let log = entry.log, let pem = gateways(entry.gatewayID)?.logpushPublicKey else {
                skipped += 1
                continue
            }
            if recipients[pem] == nil { recipients[pem] = try LogpushRecipient(pem: pem) }
            lines += try LogpushLine.make(log, request: entry.request, response: entry.response, for: recipients[pem]!)
            lines.append(UInt8(ascii: "\n"))
        }
        let exported = pending.count - skipped
        var next = cursor
        if exported > 0 {
            var plain = ByteBuffer(bytes: lines)
            let member = Array(try plain.compress(with: .gzip()).readableBytesView)
            switch destination {
            case .files(let files): next = try files.append(member, to: cursor)
            case .http(let http): try await http.deliver(member, logs: exported)
            }
        }
        let encoded = try next.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await store.logpushCommit(delivered: pending.map(\.seq), cursor: encoded)
        cursor = next
        metrics.logpushExported(exported)
        status.update {
            $0.exported += exported
            $0.skipped += skipped
            $0.lastDelivery = Date()
            $0.lastError = nil
        }
        return pending.count == settings.batchSize
    }
}
