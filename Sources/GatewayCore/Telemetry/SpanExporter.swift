import AIGateway
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import Synchronization

/// Sends the gateways' spans to their OTLP exporters, off the request path.
///
/// - Queues: one per exporter, bounded at `capacity` spans. ``submit(_:gatewayID:exporters:)``
///   only appends under a lock (it runs where a request's last record goes, never waiting);
///   a span that finds its queue full is dropped and counted
///   (`aigw_otel_spans_dropped_total{reason="queue_full"}`).
/// - Batches: every `interval`, each exporter not already sending takes up to `batchSize`
///   spans and POSTs them (OTLP/HTTP, JSON or protobuf) with its own headers, waiting at most
///   `timeout`; exporters send independently, so a slow one holds up only itself.
/// - Failures: a batch that fails (unreachable, timeout, 5xx, 429) goes back to the front of
///   its queue and the exporter waits, doubling from `interval` up to a minute, before trying
///   again; a 4xx other than 408 and 429 means the collector refuses the spans: they are
///   dropped and counted (`reason="refused"`).
/// - Shutdown: on graceful shutdown each exporter gets one last attempt with what it holds.
public final class SpanExporter: Service, Sendable {
    /// What the dashboard shows of one exporter.
    public struct Status: Sendable {
        /// The exporter's URL and encoding.
        public var url: String
        public var contentType: String
        /// Spans waiting, delivered and given up on, in this process.
        public var queued: Int
        public var exported: Int
        public var dropped: Int
        /// Why the last batch failed, until one is delivered.
        public var lastError: String?
        /// When a batch was last delivered.
        public var lastExport: Date?
    }

    private struct Destination: Hashable {
        var gatewayID: String
        var exporter: OTelExporter
    }

    private struct Queue {
        var spans: [ExportedSpan] = []
        /// The spans' ``ExportedSpan/approximateBytes``, summed.
        var bytes = 0
        var sending = false
        var failures = 0
        var retryAt = ContinuousClock.now
        var exported = 0
        var dropped = 0
        var lastError: String?
        var lastExport: Date?
        var lastSubmit = ContinuousClock.now
        /// Of `dropped`, how many the metric already counts.
        var droppedCounted = 0
    }

    private let queues = Mutex<[Destination: Queue]>([:])
    private let client: UpstreamClient
    private let cipher: ProviderKeyCipher?
    private let metrics: GatewayMetrics
    private let logger: Logger
    private let version: String
    let capacity: Int
    /// The most bytes of spans a queue holds: a count alone would let megabyte prompts
    /// (`gen_ai.prompt_json`) grow a stalled exporter's queue without bound.
    let capacityBytes: Int
    let batchSize: Int
    let interval: Duration
    let timeout: Duration

    /// An exporter keeping at most `capacity` spans per exporter, sending batches of up to
    /// `batchSize` every `interval`, waiting `timeout` for a collector's answer. `cipher` opens
    /// exporters' sealed headers.
    public init(
        cipher: ProviderKeyCipher?, metrics: GatewayMetrics, logger: Logger, version: String, capacity: Int = 4096,
        capacityBytes: Int = 64 * 1024 * 1024, batchSize: Int = 512, interval: Duration = .seconds(1), timeout: Duration = .seconds(10),
        trustRoots: NIOSSLTrustRoots = .default
    ) throws {
        self.client = try UpstreamClient(connectionsPerHost: 2, idleConnectionsPerHost: 2, trustRoots: trustRoots)
        self.cipher = cipher
        self.metrics = metrics
        self.logger = logger
        self.version = version
        self.capacity = capacity
        self.capacityBytes = capacityBytes
        self.batchSize = batchSize
        self.interval = interval
        self.timeout = timeout
    }

    /// Queues one request's spans for each of `exporters`; never waits. The spans are appended
    /// in place (the queue is never copied under the lock), and a drop is only counted here: the
    /// metric is brought up to date by the sending loop, off this path.
    public func submit(_ spans: [ExportedSpan], gatewayID: String, exporters: [OTelExporter]) {
        let now = ContinuousClock.now
        queues.withLock { queues in
            for exporter in exporters {
                let key = Destination(gatewayID: gatewayID, exporter: exporter)
                var taken = 0
                for span in spans {
                    let size = span.approximateBytes
                    // Read through the dictionary, never into a copy of the queue: a copy alive
                    // while appending would copy the whole queue.
                    let count = queues[key]?.spans.count ?? 0
                    let bytes = queues[key]?.bytes ?? 0
                    guard count < capacity, bytes + size <= capacityBytes else { break }
                    queues[key, default: Queue()].spans.append(span)
                    queues[key, default: Queue()].bytes += size
                    taken += 1
                }
                queues[key, default: Queue()].dropped += spans.count - taken
                queues[key, default: Queue()].lastSubmit = now
            }
        }
    }

    /// Whether any of `exporters` has room for more spans: a request whose exporters are all
    /// full (their collectors down for long) is not worth turning into spans.
    public func hasRoom(gatewayID: String, exporters: [OTelExporter]) -> Bool {
        queues.withLock { queues in
            exporters.contains {
                guard let queue = queues[Destination(gatewayID: gatewayID, exporter: $0)] else { return true }
                return queue.spans.count < capacity && queue.bytes < capacityBytes
            }
        }
    }

    /// Counts `count` spans of a request dropped unbuilt, for each of `exporters`.
    public func dropped(_ count: Int, gatewayID: String, exporters: [OTelExporter]) {
        queues.withLock { queues in
            for exporter in exporters { queues[Destination(gatewayID: gatewayID, exporter: exporter), default: Queue()].dropped += count }
        }
    }

    /// The exporters of `gatewayID` this process has sent to, and how they fare.
    public func status(gatewayID: String) -> [Status] {
        queues.withLock { queues in
            queues.filter { $0.key.gatewayID == gatewayID }.map { key, queue in
                Status(
                    url: key.exporter.url, contentType: key.exporter.contentType ?? "json", queued: queue.spans.count,
                    exported: queue.exported, dropped: queue.dropped, lastError: queue.lastError, lastExport: queue.lastExport)
            }.sorted { $0.url < $1.url }
        }
    }

    /// Sends batches until graceful shutdown, then tries once more with what is queued.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { sends in
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                countDrops()
                for destination in takeReady() {
                    sends.addTask { await self.send(destination) }
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            }
            await sends.waitForAll()
            for destination in takeReady(ignoringBackoff: true) { sends.addTask { await self.send(destination) } }
        }
        countDrops()
        try await client.shutdown()
    }

    /// Brings `aigw_otel_spans_dropped_total{reason="queue_full"}` and the backlog gauge up
    /// to date.
    private func countDrops() {
        let counts = queues.withLock { queues -> [(gatewayID: String, dropped: Int, queued: Int)] in
            var counts: [(String, Int, Int)] = []
            for (key, queue) in queues {
                counts.append((key.gatewayID, queue.dropped - queue.droppedCounted, queue.spans.count))
                queues[key]?.droppedCounted = queue.dropped
            }
            return counts
        }
        for (gatewayID, dropped, queued) in counts {
            metrics.spansDropped(dropped, gateway: gatewayID, reason: "queue_full")
            metrics.spanBacklog(queued, gateway: gatewayID)
        }
    }

    /// The exporters with spans to send that are not sending already and not waiting out a
    /// failure, marked as sending; exporters long idle are forgotten.
    private func takeReady(ignoringBackoff: Bool = false) -> [Destination] {
        let now = ContinuousClock.now
        return queues.withLock { queues in
            var ready: [Destination] = []
            for (key, queue) in queues {
                if queue.spans.isEmpty, !queue.sending, now - queue.lastSubmit > .seconds(600) {
                    queues[key] = nil
                    continue
                }
                guard !queue.spans.isEmpty, !queue.sending, ignoringBackoff || queue.retryAt <= now else { continue }
                queues[key]?.sending = true
                ready.append(key)
            }
            return ready
        }
    }

    /// Sends `destination`'s queue batch after batch while the collector takes them and a
    /// full batch waits (so an exporter keeps up with its collector, not with a clock), and
    /// settles each.
    private func send(_ destination: Destination) async {
        while true {
            let batch = queues.withLock { queues -> [ExportedSpan] in
                let count = min(batchSize, queues[destination]?.spans.count ?? 0)
                let taken = Array(queues[destination]?.spans.prefix(count) ?? [])
                queues[destination]?.spans.removeFirst(count)
                queues[destination]?.bytes -= taken.reduce(0) { $0 + $1.approximateBytes }
                return taken
            }
            guard !batch.isEmpty else {
                queues.withLock { $0[destination]?.sending = false }
                return
            }
            let outcome = await post(batch, to: destination)
            let goOn = settle(batch, of: destination, outcome: outcome)
            if !goOn { return }
        }
    }

    /// Records how a batch went; returns whether another batch should go at once (this one was
    /// delivered and a full one waits).
    private func settle(_ batch: [ExportedSpan], of destination: Destination, outcome: Outcome) -> Bool {
        let gatewayID = destination.gatewayID
        let goOn = queues.withLock { queues -> Bool in
            guard var queue = queues[destination] else { return false }
            var goOn = false
            switch outcome {
            case .delivered:
                queue.exported += batch.count
                queue.failures = 0
                queue.lastError = nil
                queue.lastExport = Date()
                goOn = queue.spans.count >= batchSize
            case .refused(let reason):
                queue.dropped += batch.count
                queue.droppedCounted += batch.count  // counted below, as refused
                queue.lastError = reason
            case .failed(let reason):
                // Back to the front, as much as the bounds leave room for (the newest kept).
                var back: [ExportedSpan] = []
                var bytes = queue.bytes
                for span in batch.reversed() {
                    guard queue.spans.count + back.count < capacity, bytes + span.approximateBytes <= capacityBytes else { break }
                    back.append(span)
                    bytes += span.approximateBytes
                }
                queue.spans.insert(contentsOf: back.reversed(), at: 0)
                queue.bytes = bytes
                queue.dropped += batch.count - back.count
                queue.failures += 1
                queue.lastError = reason
                let backoff = min(interval * (1 << min(queue.failures, 6)), .seconds(60))
                queue.retryAt = .now + backoff
            }
            queue.sending = goOn
            queues[destination] = queue
            return goOn
        }
        switch outcome {
        case .delivered: metrics.spansExported(batch.count, gateway: gatewayID)
        case .refused(let reason):
            metrics.spansDropped(batch.count, gateway: gatewayID, reason: "refused")
            logger.warning("OTLP exporter refused spans", metadata: ["gateway": "\(gatewayID)", "url": "\(destination.exporter.url)", "reason": "\(reason)"])
        case .failed(let reason):
            logger.warning("OTLP export failed; will retry", metadata: ["gateway": "\(gatewayID)", "url": "\(destination.exporter.url)", "reason": "\(reason)"])
        }
        return goOn
    }

    private enum Outcome {
        case delivered
        case refused(String)
        case failed(String)
    }

    /// POSTs `spans` to the exporter as one OTLP request.
    private func post(_ spans: [ExportedSpan], to destination: Destination) async -> Outcome {
        let exporter = destination.exporter
        let resource = OTLPEncoder.Resource.gateway(destination.gatewayID, version: version)
        let body = exporter.usesProtobuf ? OTLPEncoder.protobuf(spans, resource: resource) : OTLPEncoder.json(spans, resource: resource)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: exporter.usesProtobuf ? "application/x-protobuf" : "application/json")
        headers.add(name: "user-agent", value: "aigw/\(version)")
        do {
            let secrets = try OTelExporterSecrets.of(exporter, gatewayID: destination.gatewayID, cipher: cipher)
            for (name, value) in secrets.headers.sorted(by: { $0.key < $1.key }) { headers.replaceOrAdd(name: name, value: value) }
            if let authorization = secrets.authorization { headers.replaceOrAdd(name: "authorization", value: authorization) }
        } catch {
            return .failed("the exporter's headers cannot be opened: \(error)")
        }
        let request: UpstreamRequest
        do {
            request = UpstreamRequest(url: try UpstreamURL(exporter.url), method: .POST, headers: headers, body: ByteBuffer(bytes: body))
        } catch {
            return .refused("the URL cannot be used: \(error)")
        }
        do {
            let response = try await client.send(request, timeout: timeout)
            // The answer's body says nothing aigw acts on; it is read so the connection is reused.
            for try await _ in response.body {}
            switch response.status {
            case 200..<300: return .delivered
            case 408, 429, 500...: return .failed("HTTP \(response.status)")
            default: return .refused("HTTP \(response.status)")
            }
        } catch let failure as UpstreamFailure {
            return .failed(UpstreamFailure.describe(failure))
        } catch {
            return .failed("the answer broke off: \(error)")
        }
    }
}
