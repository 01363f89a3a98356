import CoreMetrics
import Metrics
import Synchronization

/// The gateway's metrics, made through an injected factory so that each server (and
/// each test) has its own registry instead of a process-wide global.
public struct GatewayMetrics: Sendable {
    private let factory: any MetricsFactory
    private let overhead: Metrics.Timer
    private let queueDepth: Gauge
    private let dropped: Counter
    private let notStored: Counter
    private let written: Counter
    private let writeFailures: Counter
    private let cacheHits: Counter
    private let cacheMisses: Counter
    /// Per-label metrics, made once each: making one through the factory per request
    /// (a registry lookup and allocations) showed in the request path's profile.
    private let labelled: LabelledMetrics

    /// Metrics recorded into `factory`'s registry.
    public init(factory: any MetricsFactory) {
        self.factory = factory
        self.overhead = Metrics.Timer(label: "aigw_gateway_overhead_seconds", dimensions: [], factory: factory)
        self.queueDepth = Gauge(label: "aigw_log_queue_depth", dimensions: [], factory: factory)
        self.dropped = Counter(label: "aigw_logs_dropped_total", dimensions: [], factory: factory)
        self.notStored = Counter(label: "aigw_logs_not_stored_total", dimensions: [("reason", "log_management")], factory: factory)
        self.written = Counter(label: "aigw_logs_written_total", dimensions: [], factory: factory)
        self.writeFailures = Counter(label: "aigw_log_write_failures_total", dimensions: [], factory: factory)
        self.cacheHits = Counter(label: "aigw_cache_hits_total", dimensions: [], factory: factory)
        self.cacheMisses = Counter(label: "aigw_cache_misses_total", dimensions: [], factory: factory)
        self.labelled = LabelledMetrics(factory: factory)
    }

    /// Metrics that go nowhere (for tools and tests that do not read them).
    public static let discarding = GatewayMetrics(factory: NOOPMetricsHandler.instance)

    /// One request answered, by provider and HTTP status.
    public func requestFinished(provider: String, status: Int) {
        labelled.requests(provider: provider, status: status).increment()
    }

    /// Time from sending a request upstream to receiving the response head.
    public func upstreamLatency(_ duration: Duration, provider: String) {
        labelled.upstreamLatency(provider: provider).record(duration: duration)
    }

    /// Time the gateway itself spent on a request, excluding the upstream's.
    public func gatewayOverhead(_ duration: Duration) { overhead.record(duration: duration) }

    /// Records waiting in the log queue.
    public func logQueueDepth(_ depth: Int) { queueDepth.record(depth) }

    /// Records dropped because the log queue was full.
    public func logsDropped(_ count: Int) { dropped.increment(by: count) }

    /// The tokens and cost of one answered request, by provider and model:
    /// `aigw_tokens_total{provider,model,direction="input"|"output"}` and
    /// `aigw_cost_usd_total{provider,model}`. Counted by the log writer, off the request path.
    /// Model names come from clients: past ``LabelledMetrics/maximumModels`` distinct ones,
    /// the rest count as `other`, so a client cannot grow the registry without bound.
    public func usage(provider: String, model: String, tokensIn: Int?, tokensOut: Int?, cost: Double?) {
        guard tokensIn != nil || tokensOut != nil || cost != nil else { return }
        let counters = labelled.usage(provider: provider, model: model)
        if let tokensIn, tokensIn > 0 { counters.input.increment(by: tokensIn) }
        if let tokensOut, tokensOut > 0 { counters.output.increment(by: tokensOut) }
        if let cost, cost > 0, cost.isFinite { counters.cost.increment(by: cost) }
    }

    /// Spans an exporter of `gateway` delivered.
    public func spansExported(_ count: Int, gateway: String) {
        Counter(label: "aigw_otel_spans_exported_total", dimensions: [("gateway", gateway)], factory: factory).increment(by: count)
    }

    /// Spans given up on: `reason` is `queue_full` (the exporter was down too long for its
    /// bound) or `refused` (the collector answered 4xx).
    public func spansDropped(_ count: Int, gateway: String, reason: String) {
        guard count > 0 else { return }
        Counter(label: "aigw_otel_spans_dropped_total", dimensions: [("gateway", gateway), ("reason", reason)], factory: factory)
            .increment(by: count)
    }

    /// Spans waiting for all of a gateway's exporters.
    public func spanBacklog(_ count: Int, gateway: String) {
        Gauge(label: "aigw_otel_spans_queued", dimensions: [("gateway", gateway)], factory: factory).record(count)
    }

    /// Logs Logpush delivered.
    public func logpushExported(_ count: Int) {
        Counter(label: "aigw_logpush_logs_exported_total", dimensions: [], factory: factory).increment(by: count)
    }

    /// A Logpush delivery failed (it is retried).
    public func logpushFailed() {
        Counter(label: "aigw_logpush_failures_total", dimensions: [], factory: factory).increment()
    }

    /// How far Logpush is behind: the age of the oldest log not yet exported (0 when none),
    /// and how many wait.
    public func logpushBacklog(lagSeconds: Double, logs: Int) {
        Gauge(label: "aigw_logpush_lag_seconds", dimensions: [], factory: factory).record(lagSeconds)
        Gauge(label: "aigw_logpush_pending_logs", dimensions: [], factory: factory).record(logs)
    }

    /// Logs not stored because their gateway's `log_management` limit with `STOP_INSERTING` was reached.
    public func logsNotStored(_ count: Int) {
        if count > 0 { notStored.increment(by: count) }
    }

    /// Records written to the store.
    public func logsWritten(_ count: Int) { written.increment(by: count) }

    /// Batches the store refused (they are retried).
    public func logWriteFailed() { writeFailures.increment() }

    /// A cache lookup: a hit (from an entry or an identical request in flight) or a miss.
    public func cacheLookup(hit: Bool) {
        (hit ? cacheHits : cacheMisses).increment()
    }
}

/// Metrics with labels, each made through the factory the first time its labels are seen.
private final class LabelledMetrics: Sendable {
    private struct RequestKey: Hashable {
        let provider: String
        let status: Int
    }

    private let factory: any MetricsFactory
    private let requests = Mutex<[RequestKey: Counter]>([:])
    private let latencies = Mutex<[String: Metrics.Timer]>([:])

    /// A provider and model's token and cost counters.
    struct UsageCounters {
        let input: Counter
        let output: Counter
        let cost: FloatingPointCounter
    }

    /// The most distinct models counted by name.
    static let maximumModels = 500
    private let usages = Mutex<[UsageKey: UsageCounters]>([:])

    private struct UsageKey: Hashable {
        let provider: String
        let model: String
    }

    func usage(provider: String, model: String) -> UsageCounters {
        usages.withLock { made in
            var key = UsageKey(provider: provider, model: model.isEmpty ? "unknown" : model)
            if made[key] == nil, made.count >= Self.maximumModels { key = UsageKey(provider: provider, model: "other") }
            if let counters = made[key] { return counters }
            let dimensions = [("provider", key.provider), ("model", key.model)]
            let counters = UsageCounters(
                input: Counter(label: "aigw_tokens_total", dimensions: dimensions + [("direction", "input")], factory: factory),
                output: Counter(label: "aigw_tokens_total", dimensions: dimensions + [("direction", "output")], factory: factory),
                cost: FloatingPointCounter(label: "aigw_cost_usd_total", dimensions: dimensions, factory: factory))
            made[key] = counters
            return counters
        }
    }

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    func requests(provider: String, status: Int) -> Counter {
        let key = RequestKey(provider: provider, status: status)
        return requests.withLock { made in
            if let counter = made[key] { return counter }
            let counter = Counter(
                label: "aigw_requests_total", dimensions: [("provider", provider), ("status", String(status))],
                factory: factory)
            made[key] = counter
            return counter
        }
    }

    func upstreamLatency(provider: String) -> Metrics.Timer {
        latencies.withLock { made in
            if let timer = made[provider] { return timer }
            let timer = Metrics.Timer(
                label: "aigw_upstream_latency_seconds", dimensions: [("provider", provider)], factory: factory)
            made[provider] = timer
            return timer
        }
    }
}
