import Foundation

/// Encodes spans as an OTLP `ExportTraceServiceRequest` (opentelemetry-proto, trace v1): as
/// protobuf (`application/x-protobuf`) or in OTLP's JSON mapping (`application/json`: ids as
/// hex, 64-bit integers as decimal strings, enums as numbers).
///
/// The protobuf is written by hand: the handful of messages aigw sends do not justify generated
/// code and a protoc step in the build. The tests decode both forms with the reference Python
/// bindings (`opentelemetry-proto`).
public enum OTLPEncoder {
    /// Who made the spans: the `service.name` resource attribute and the instrumentation scope.
    public struct Resource: Sendable {
        public var attributes: [SpanAttribute]
        public var scopeName: String
        public var scopeVersion: String

        /// The gateway's spans: `service.name` aigw, the gateway's id, scope `aigw`.
        public static func gateway(_ gatewayID: String, version: String) -> Resource {
            Resource(
                attributes: [
                    SpanAttribute("service.name", .string("aigw")), SpanAttribute("service.version", .string(version)),
                    SpanAttribute("cf.aig.gateway_id", .string(gatewayID)),
                ], scopeName: "aigw", scopeVersion: version)
        }
    }

    // MARK: Protobuf

    /// `spans` as one protobuf `ExportTraceServiceRequest`.
    public static func protobuf(_ spans: [ExportedSpan], resource: Resource) -> [UInt8] {
        var resourceMessage = ProtobufWriter()
        for attribute in resource.attributes { resourceMessage.message(1, keyValue(attribute)) }
        var scope = ProtobufWriter()
        scope.string(1, resource.scopeName)
        scope.string(2, resource.scopeVersion)
        var scopeSpans = ProtobufWriter()
        scopeSpans.message(1, scope.bytes)
        for span in spans { scopeSpans.message(2, protobuf(span)) }
        var resourceSpans = ProtobufWriter()
        resourceSpans.message(1, resourceMessage.bytes)
        resourceSpans.message(2, scopeSpans.bytes)
        var request = ProtobufWriter()
        request.message(1, resourceSpans.bytes)
        return request.bytes
    }

    static func protobuf(_ span: ExportedSpan) -> [UInt8] {
        var message = ProtobufWriter()
        message.bytesField(1, span.traceID)
        message.bytesField(2, span.spanID)
        if let parent = span.parentSpanID { message.bytesField(4, parent) }
        message.string(5, span.name)
        message.varintField(6, UInt64(span.kind.rawValue))
        message.fixed64(7, span.startNanos)
        message.fixed64(8, span.endNanos)
        for attribute in span.attributes { message.message(9, keyValue(attribute)) }
        var status = ProtobufWriter()
        if let text = span.statusMessage { status.string(2, text) }
        if span.status != .unset { status.varintField(3, UInt64(span.status.rawValue)) }
        message.message(15, status.bytes)
        return message.bytes
    }

    static func keyValue(_ attribute: SpanAttribute) -> [UInt8] {
        var value = ProtobufWriter()
        switch attribute.value {
        case .string(let text): value.string(1, text, always: true)
        case .bool(let flag): value.varintField(2, flag ? 1 : 0, always: true)
        case .int(let number): value.varintField(3, UInt64(bitPattern: number), always: true)
        case .double(let number): value.fixed64(4, number.bitPattern, always: true)
        }
        var pair = ProtobufWriter()
        pair.string(1, attribute.key)
        pair.message(2, value.bytes)
        return pair.bytes
    }

    // MARK: JSON

    /// `spans` as one `ExportTraceServiceRequest` in OTLP's JSON mapping.
    public static func json(_ spans: [ExportedSpan], resource: Resource) -> [UInt8] {
        let request: [String: Any] = [
            "resourceSpans": [
                [
                    "resource": ["attributes": resource.attributes.map(json)],
                    "scopeSpans": [
                        [
                            "scope": ["name": resource.scopeName, "version": resource.scopeVersion],
                            "spans": spans.map(json),
                        ]
                    ],
                ]
            ]
        ]
        return Array((try? JSONSerialization.data(withJSONObject: request, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    static func json(_ span: ExportedSpan) -> [String: Any] {
        var object: [String: Any] = [
            "traceId": span.traceID.hexString, "spanId": span.spanID.hexString, "name": span.name,
            "kind": span.kind.rawValue, "startTimeUnixNano": String(span.startNanos),
            "endTimeUnixNano": String(span.endNanos), "attributes": span.attributes.map(json),
        ]
        if let parent = span.parentSpanID { object["parentSpanId"] = parent.hexString }
        var status: [String: Any] = [:]
        if span.status != .unset { status["code"] = span.status.rawValue }
        if let text = span.statusMessage { status["message"] = text }
        object["status"] = status
        return object
    }

    static func json(_ attribute: SpanAttribute) -> [String: Any] {
        let value: [String: Any] =
            switch attribute.value {
            case .string(let text): ["stringValue": text]
            case .bool(let flag): ["boolValue": flag]
            case .int(let number): ["intValue": String(number)]
            // JSON has no NaN or infinity: OTLP's mapping writes them as strings.
            case .double(let number): ["doubleValue": number.isFinite ? number as Any : String(describing: number)]
            }
        return ["key": attribute.key, "value": value]
    }
}

/// Protocol Buffers' wire format, the parts OTLP's trace messages use: varints, fixed64 and
/// length-delimited fields. Fields at their default value are left out, as proto3 does.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func tag(_ field: Int, _ wireType: UInt8) {
        varint(UInt64(field) << 3 | UInt64(wireType))
    }

    private mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    mutating func varintField(_ field: Int, _ value: UInt64, always: Bool = false) {
        guard value != 0 || always else { return }
        tag(field, 0)
        varint(value)
    }

    mutating func fixed64(_ field: Int, _ value: UInt64, always: Bool = false) {
        guard value != 0 || always else { return }
        tag(field, 1)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func bytesField(_ field: Int, _ value: [UInt8], always: Bool = false) {
        guard !value.isEmpty || always else { return }
        tag(field, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String, always: Bool = false) {
        bytesField(field, Array(value.utf8), always: always)
    }

    /// An embedded message (always written, even empty: its presence can matter).
    mutating func message(_ field: Int, _ value: [UInt8]) {
        bytesField(field, value, always: true)
    }
}
