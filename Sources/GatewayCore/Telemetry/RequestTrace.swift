import AIGateway
import Foundation
import Synchronization

/// The spans of one request through a gateway with exporters (`otel`): a span for the request,
/// and under it one for each attempt, fallback step and cache hit (each made from its log,
/// once the log writer has derived model, tokens and cost) and for each guard check.
///
/// The request's records hold it; when the last of them goes (every log of the request
/// finished and written, the pipeline done), the spans are handed to the ``SpanExporter`` in
/// one piece. Nothing here waits or touches the network: building spans happens on the log
/// writer's thread, encoding and sending in the exporter.
public final class RequestTrace: Sendable {
    /// The trace, and the caller's span the request's span hangs under.
    public let context: TraceContext
    /// The request's own span.
    public let requestSpanID: [UInt8]
    let gatewayID: String
    let exporters: [OTelExporter]
    private let sink: SpanExporter
    private let startNanos: UInt64

    private struct State {
        var children: [ExportedSpan] = []
        /// The log that ended last: its model, usage and cost describe the request.
        var answer: (span: ExportedSpan, attributes: [SpanAttribute])?
        var endNanos: UInt64 = 0
        var metadata: LogMetadata?
        /// Logs whose spans were not built: every exporter's queue was full.
        var skipped = 0
    }

    private let state = Mutex(State())

    /// A trace for a request to `gatewayID` begun at `start`, exported to `exporters` by `sink`.
    public init(context: TraceContext, gatewayID: String, exporters: [OTelExporter], sink: SpanExporter, start: Date) {
        self.context = context
        self.requestSpanID = TraceContext.randomID(bytes: 8)
        self.gatewayID = gatewayID
        self.exporters = exporters
        self.sink = sink
        self.startNanos = Self.nanos(start)
    }

    /// A new span id for an attempt (sent upstream in `traceparent`, then its log's span).
    public func newSpanID() -> [UInt8] { TraceContext.randomID(bytes: 8) }

    /// Adds a check (a guardrail or DLP pass) that ran from `start` to `end`.
    public func addCheck(_ name: String, start: Date, end: Date, attributes: [SpanAttribute], failed: Bool = false) {
        let span = ExportedSpan(
            traceID: context.traceID, spanID: newSpanID(), parentSpanID: requestSpanID, name: name, kind: .internal,
            startNanos: Self.nanos(start), endNanos: Self.nanos(end), attributes: attributes, status: failed ? .error : .unset)
        state.withLock { state in
            state.children.append(span)
            state.endNanos = max(state.endNanos, span.endNanos)
        }
    }

    /// Adds the span of one log (an attempt, a step, a cache hit), from the stored form the
    /// log writer derived. `payloads` says whether the prompt and completion may be attached.
    public func addLog(_ stored: StoredLog, record: LogRecord) {
        guard sink.hasRoom(gatewayID: gatewayID, exporters: exporters) else {
            state.withLock { $0.skipped += 1 }
            return
        }
        let log = stored.log
        let start = Self.nanos(log.createdAt)
        let end = start + UInt64(max(0, log.duration)) * 1_000_000
        var attributes = Self.genAIAttributes(log)
        if record.storePayload {
            if let prompt = Self.text(record.requestBody.readableBytesView) {
                attributes.append(SpanAttribute("gen_ai.prompt_json", .string(prompt)))
            }
            if let completion = Self.text(record.response.head.readableBytesView) {
                attributes.append(SpanAttribute("gen_ai.completion_json", .string(completion)))
            }
        }
        if record.stored { attributes.append(SpanAttribute("cf.aig.log_id", .string(log.id))) }
        attributes.append(SpanAttribute("http.response.status_code", .int(Int64(log.statusCode))))
        attributes.append(SpanAttribute("cf.aig.cached", .bool(log.cached)))
        if let step = log.step { attributes.append(SpanAttribute("cf.aig.step", .int(Int64(step)))) }
        if let route = log.route {
            attributes.append(SpanAttribute("cf.aig.route", .string(route.name)))
            attributes.append(SpanAttribute("cf.aig.route_path", .string(route.path.joined(separator: ">"))))
        }
        let name = log.cached ? "cache hit" : (log.model.isEmpty ? "\(log.provider) \(log.path)" : "\(log.provider) \(log.model)")
        let span = ExportedSpan(
            traceID: context.traceID, spanID: record.spanID ?? newSpanID(), parentSpanID: requestSpanID, name: name,
            kind: log.cached ? .internal : .client, startNanos: start, endNanos: end,
            attributes: Self.withMetadata(log.metadata, attributes), status: log.success ? .ok : .error,
            statusMessage: log.success ? nil : (log.error ?? "HTTP \(log.statusCode)"))
        state.withLock { state in
            state.children.append(span)
            if state.answer == nil || end >= state.answer!.span.endNanos { state.answer = (span, attributes) }
            state.endNanos = max(state.endNanos, end)
            state.metadata = log.metadata ?? state.metadata
        }
    }

    /// Marks the moment the pipeline handed over its answer (the request span ends no earlier).
    public func pipelineDone(at time: Date = Date()) {
        let nanos = Self.nanos(time)
        state.withLock { $0.endNanos = max($0.endNanos, nanos) }
    }

    deinit {
        let state = state.withLock { $0 }
        guard sink.hasRoom(gatewayID: gatewayID, exporters: exporters) else {
            sink.dropped(state.children.count + state.skipped + 1, gatewayID: gatewayID, exporters: exporters)
            return
        }
        var attributes: [SpanAttribute] = [SpanAttribute("cf.aig.gateway_id", .string(gatewayID))]
        var status = ExportedSpan.Status.unset
        var message: String?
        if let answer = state.answer {
            // The answer's own attributes, less what belongs to one attempt's log.
            attributes += answer.attributes.filter { $0.key != "cf.aig.log_id" }
            status = answer.span.status
            message = answer.span.statusMessage
        }
        let request = ExportedSpan(
            traceID: context.traceID, spanID: requestSpanID, parentSpanID: context.parentSpanID, name: "aigw \(gatewayID)",
            kind: .server, startNanos: startNanos, endNanos: max(state.endNanos, startNanos),
            attributes: Self.withMetadata(state.metadata, attributes), status: status, statusMessage: message)
        sink.submit([request] + state.children, gatewayID: gatewayID, exporters: exporters)
    }

    // MARK: Attributes

    /// The GenAI semantic conventions' attributes of a log, with Cloudflare's names.
    static func genAIAttributes(_ log: AIGatewayLog) -> [SpanAttribute] {
        var attributes = [
            SpanAttribute("gen_ai.model.provider", .string(log.provider)),
            SpanAttribute("gen_ai.provider.name", .string(log.provider)),
        ]
        if !log.model.isEmpty { attributes.append(SpanAttribute("gen_ai.request.model", .string(log.model))) }
        if let tokens = log.tokensIn { attributes.append(SpanAttribute("gen_ai.usage.input_tokens", .int(Int64(tokens)))) }
        if let tokens = log.tokensOut { attributes.append(SpanAttribute("gen_ai.usage.output_tokens", .int(Int64(tokens)))) }
        if let cost = log.cost { attributes.append(SpanAttribute("gen_ai.usage.cost", .double(cost))) }
        return attributes
    }

    /// `attributes` with each `cf-aig-metadata` key added as its own attribute; the gateway's
    /// attributes win a clash of names.
    static func withMetadata(_ metadata: LogMetadata?, _ attributes: [SpanAttribute]) -> [SpanAttribute] {
        guard let metadata, !metadata.isEmpty else { return attributes }
        let taken = Set(attributes.map(\.key))
        var result = attributes
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where !taken.contains(key) {
            switch value {
            case .string(let text): result.append(SpanAttribute(key, .string(text)))
            case .bool(let flag): result.append(SpanAttribute(key, .bool(flag)))
            case .number(let number):
                if number.rounded() == number, abs(number) < 9e15 {
                    result.append(SpanAttribute(key, .int(Int64(number))))
                } else {
                    result.append(SpanAttribute(key, .double(number)))
                }
            case .null: continue
            }
        }
        return result
    }

    /// A body as text for an attribute, or nil when empty or not UTF-8 (an image, audio).
    static func text(_ bytes: some Collection<UInt8>) -> String? {
        guard !bytes.isEmpty else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    static func nanos(_ date: Date) -> UInt64 {
        UInt64(max(0, date.timeIntervalSince1970 * 1_000_000_000))
    }
}
