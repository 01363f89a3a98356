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
        /// The resource's attributes (`service.name`, ...).
        public var attributes: [SpanAttribute]
        /// The instrumentation scope's name and version.
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

    /// `spans` as one `ExportTraceServiceRequest` in OTLP's JSON mapping, written directly
    /// (Foundation's JSONSerialization took most of an export's time).
    public static func json(_ spans: [ExportedSpan], resource: Resource) -> [UInt8] {
        var out = JSONWriter()
        out.raw(#"{"resourceSpans":[{"resource":{"attributes":"#)
        out.attributes(resource.attributes)
        out.raw(#"},"scopeSpans":[{"scope":{"name":"#)
        out.string(resource.scopeName)
        out.raw(#","version":"#)
        out.string(resource.scopeVersion)
        out.raw(#"},"spans":["#)
        for (index, span) in spans.enumerated() {
            if index > 0 { out.raw(",") }
            json(span, into: &out)
        }
        out.raw("]}]}]}")
        return out.bytes
    }

    static func json(_ span: ExportedSpan, into out: inout JSONWriter) {
        out.raw(#"{"traceId":""#)
        out.raw(span.traceID.hexString)
        out.raw(#"","spanId":""#)
        out.raw(span.spanID.hexString)
        if let parent = span.parentSpanID {
            out.raw(#"","parentSpanId":""#)
            out.raw(parent.hexString)
        }
        out.raw(#"","name":"#)
        out.string(span.name)
        out.raw(#","kind":\#(span.kind.rawValue),"startTimeUnixNano":"\#(span.startNanos)","endTimeUnixNano":"\#(span.endNanos)","attributes":"#)
        out.attributes(span.attributes)
        out.raw(#","status":{"#)
        var separator = ""
        if span.status != .unset {
            out.raw(#""code":\#(span.status.rawValue)"#)
            separator = ","
        }
        if let text = span.statusMessage {
            out.raw(separator + #""message":"#)
            out.string(text)
        }
        out.raw("}}")
    }
}

/// JSON written byte by byte: strings escaped as RFC 8259 requires (quote, backslash and
/// control characters; the rest as UTF-8).
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                bytes += Array("\\u00".utf8) + Array([byte].hexString.utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// OTLP's `KeyValue` list: 64-bit integers as strings, non-finite doubles as strings.
    mutating func attributes(_ attributes: [SpanAttribute]) {
        raw("[")
        for (index, attribute) in attributes.enumerated() {
            if index > 0 { raw(",") }
            raw(#"{"key":"#)
            string(attribute.key)
            switch attribute.value {
            case .string(let text):
                raw(#","value":{"stringValue":"#)
                string(text)
                raw("}}")
            case .bool(let flag): raw(#","value":{"boolValue":\#(flag)}}"#)
            case .int(let number): raw(#","value":{"intValue":"\#(number)"}}"#)
            case .double(let number):
                raw(number.isFinite ? #","value":{"doubleValue":\#(number)}}"# : #","value":{"doubleValue":"\#(number)"}}"#)
            }
        }
        raw("]")
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
