/// One finished span as OTLP carries it (the fields of `opentelemetry.proto.trace.v1.Span`
/// aigw fills): made by ``RequestTrace`` from a request's logs and checks, encoded by
/// ``OTLPEncoder``.
public struct ExportedSpan: Sendable, Equatable {
    /// OTLP's span kinds (the numbers are the protocol's).
    public enum Kind: Int, Sendable {
        case `internal` = 1
        case server = 2
        case client = 3
    }

    /// OTLP's status codes (the numbers are the protocol's).
    public enum Status: Int, Sendable {
        case unset = 0
        case ok = 1
        case error = 2
    }

    /// 16 bytes.
    public var traceID: [UInt8]
    /// 8 bytes.
    public var spanID: [UInt8]
    /// 8 bytes, or nil for a root span.
    public var parentSpanID: [UInt8]?
    /// What the span stands for (`aigw my-gw`, `openai gpt-4o-mini`, `cache hit`, ...).
    public var name: String
    /// Server (the request), client (a provider call) or internal (a check, a cache hit).
    public var kind: Kind
    /// Nanoseconds since the Unix epoch.
    public var startNanos: UInt64
    /// Nanoseconds since the Unix epoch, never before the start.
    public var endNanos: UInt64
    /// The span's attributes (GenAI conventions, metadata, aigw's own).
    public var attributes: [SpanAttribute]
    /// OK, error, or unset.
    public var status: Status
    /// Why the span failed, with ``Status/error``.
    public var statusMessage: String?

    /// A span with these fields.
    public init(
        traceID: [UInt8], spanID: [UInt8], parentSpanID: [UInt8]?, name: String, kind: Kind, startNanos: UInt64,
        endNanos: UInt64, attributes: [SpanAttribute] = [], status: Status = .unset, statusMessage: String? = nil
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.name = name
        self.kind = kind
        self.startNanos = startNanos
        self.endNanos = max(endNanos, startNanos)
        self.attributes = attributes
        self.status = status
        self.statusMessage = statusMessage
    }

    /// About how many bytes the span holds (its texts; a prompt can be megabytes): what the
    /// exporter's queue counts against its byte bound.
    public var approximateBytes: Int {
        var bytes = 64 + name.utf8.count + (statusMessage?.utf8.count ?? 0)
        for attribute in attributes {
            bytes += 16 + attribute.key.utf8.count
            if case .string(let text) = attribute.value { bytes += text.utf8.count }
        }
        return bytes
    }
}

/// One attribute of a span: a key and a typed value (OTLP's `KeyValue`).
public struct SpanAttribute: Sendable, Equatable {
    /// The value types aigw sends.
    public enum Value: Sendable, Equatable {
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)
    }

    /// The attribute's name.
    public var key: String
    /// Its value.
    public var value: Value

    /// An attribute.
    public init(_ key: String, _ value: Value) {
        self.key = key
        self.value = value
    }
}
