import HTTPTypes

/// Where a request's spans sit in a distributed trace: the trace they join and the caller's
/// span they hang under, from `cf-aig-otel-trace-id` and `cf-aig-otel-parent-span-id`, or
/// else from W3C `traceparent`; a new trace when the caller names none.
public struct TraceContext: Sendable, Equatable {
    /// 16 bytes, never all zero.
    public var traceID: [UInt8]
    /// The caller's span (8 bytes), the parent of the request's span, when there is one.
    public var parentSpanID: [UInt8]?
    /// The caller's trace flags (`01`: sampled), passed on in `traceparent`.
    public var flags: UInt8

    /// A context with these ids.
    public init(traceID: [UInt8], parentSpanID: [UInt8]?, flags: UInt8 = 1) {
        self.traceID = traceID
        self.parentSpanID = parentSpanID
        self.flags = flags
    }

    /// The context a request brings: the `cf-aig-otel-*` directives win; else a valid
    /// `traceparent` (a malformed one is ignored, as W3C Trace Context says); else a new trace.
    public static func of(directives: RequestDirectives, headers: HTTPFields) -> TraceContext {
        if let traceID = directives.otelTraceID {
            return TraceContext(traceID: traceID, parentSpanID: directives.otelParentSpanID)
        }
        if let value = headers[Self.traceparentHeader], let parent = parse(traceparent: value) { return parent }
        return TraceContext(traceID: randomID(bytes: 16), parentSpanID: nil)
    }

    /// `traceparent: 00-{trace id}-{span id}-{flags}` naming `spanID` as the parent of what the
    /// upstream does (the provider's own spans then join the trace).
    public func traceparent(spanID: [UInt8]) -> String {
        "00-\(traceID.hexString)-\(spanID.hexString)-\([flags].hexString)"
    }

    /// Reads a W3C `traceparent` value: version `00` with exactly four fields (a later version
    /// may carry more after the fourth), lowercase hex, ids not all zero; nil otherwise.
    public static func parse(traceparent value: String) -> TraceContext? {
        let parts = value.trimmingHTTPWhitespace.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].utf8.count == 2, parts[0] != "ff",
            let version = id(hex: String(parts[0]), bytes: 1, allowZero: true),
            version[0] != 0 || parts.count == 4,
            let traceID = id(hex: String(parts[1]), bytes: 16), let spanID = id(hex: String(parts[2]), bytes: 8),
            let flags = id(hex: String(parts[3]), bytes: 1, allowZero: true),
            parts[1...3].allSatisfy({ $0.utf8.allSatisfy { !(UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) } })
        else { return nil }
        return TraceContext(traceID: traceID, parentSpanID: spanID, flags: flags[0])
    }

    /// `text` as exactly `bytes` bytes of hexadecimal (either case), refused when all zero
    /// unless `allowZero`; nil when it is anything else.
    public static func id(hex text: String, bytes: Int, allowZero: Bool = false) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == bytes * 2 else { return nil }
        var id: [UInt8] = []
        id.reserveCapacity(bytes)
        var index = 0
        while index < digits.count {
            guard let high = digits[index].hexDigitValue, let low = digits[index + 1].hexDigitValue else { return nil }
            id.append(high << 4 | low)
            index += 2
        }
        if !allowZero, id.allSatisfy({ $0 == 0 }) { return nil }
        return id
    }

    /// A random id of `bytes` bytes, never all zero: eight bytes per draw from the system's
    /// generator (a draw per byte cost a system call each, which showed in the request path).
    public static func randomID(bytes: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var id: [UInt8] = []
        id.reserveCapacity(bytes)
        while true {
            while id.count < bytes {
                withUnsafeBytes(of: generator.next() as UInt64) { id.append(contentsOf: $0.prefix(bytes - id.count)) }
            }
            if id.contains(where: { $0 != 0 }) { return id }
            id.removeAll(keepingCapacity: true)
        }
    }

    /// The W3C header.
    public static let traceparentHeader = HTTPField.Name("traceparent")!
}
