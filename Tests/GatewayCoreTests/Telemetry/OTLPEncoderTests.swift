import Foundation
import PropertyBased
import TestSupport
import Testing

@testable import GatewayCore

/// The OTLP encodings, byte for byte where the protocol fixes them (the Python suite decodes
/// whole exports with the reference bindings).
@Suite("OTLP encoding")
struct OTLPEncoderTests {
    let span = ExportedSpan(
        traceID: Array(repeating: 0xAB, count: 16), spanID: Array(repeating: 0x01, count: 8), parentSpanID: nil, name: "s",
        kind: .client, startNanos: 1, endNanos: 300, attributes: [SpanAttribute("n", .int(-1))], status: .error,
        statusMessage: "bad")

    @Test("protobuf: fields in their numbers and wire types, varints and fixed64 little-endian, defaults left out")
    func protobufSpan() {
        let bytes = OTLPEncoder.protobuf(span)
        var expected: [UInt8] = [0x0A, 16] + Array(repeating: 0xAB, count: 16)  // 1: trace_id
        expected += [0x12, 8] + Array(repeating: 0x01, count: 8)  // 2: span_id (no 4: parent)
        expected += [0x2A, 1, UInt8(ascii: "s")]  // 5: name
        expected += [0x30, 3]  // 6: kind CLIENT
        expected += [0x39, 1, 0, 0, 0, 0, 0, 0, 0]  // 7: start, fixed64
        expected += [0x41, 0x2C, 0x01, 0, 0, 0, 0, 0, 0]  // 8: end = 300
        // 9: attribute {key "n", value {int_value -1: ten-byte varint}}
        let value: [UInt8] = [0x18] + Array(repeating: 0xFF, count: 9) + [0x01]
        let keyValue: [UInt8] = [0x0A, 1, UInt8(ascii: "n"), 0x12, UInt8(value.count)] + value
        expected += [0x4A, UInt8(keyValue.count)] + keyValue
        expected += [0x7A, 7, 0x12, 3] + Array("bad".utf8) + [0x18, 2]  // 15: status {message, code ERROR}
        #expect(bytes == expected)
    }

    @Test("JSON: hex ids, 64-bit integers as strings, enums as numbers, non-finite doubles as strings")
    func jsonSpan() throws {
        var withDouble = span
        withDouble.attributes = [SpanAttribute("cost", .double(.infinity)), SpanAttribute("ok", .bool(true))]
        let object = try JSONSerialization.jsonObject(
            with: Data(OTLPEncoder.json([withDouble], resource: .gateway("g", version: "1")))) as! [String: Any]
        let resourceSpans = (object["resourceSpans"] as! [[String: Any]])[0]
        let spans = ((resourceSpans["scopeSpans"] as! [[String: Any]])[0]["spans"] as! [[String: Any]])
        let encoded = spans[0]
        #expect(encoded["traceId"] as? String == String(repeating: "ab", count: 16))
        #expect(encoded["spanId"] as? String == "0101010101010101")
        #expect(encoded["parentSpanId"] == nil)
        #expect(encoded["startTimeUnixNano"] as? String == "1" && encoded["endTimeUnixNano"] as? String == "300")
        #expect(encoded["kind"] as? Int == 3)
        let attributes = encoded["attributes"] as! [[String: Any]]
        #expect((attributes[0]["value"] as! [String: Any])["doubleValue"] as? String == "inf")
        #expect((attributes[1]["value"] as! [String: Any])["boolValue"] as? Bool == true)
        #expect((encoded["status"] as! [String: Any])["code"] as? Int == 2)
    }

    @Test("any name, attribute text or status message comes back unchanged from a JSON parser")
    func jsonStrings() async {
        await propertyCheck(count: FuzzInputs.count, input: FuzzInputs.text(FuzzInputs.hostile + ["\u{0}", "\u{1F}", "\\", "\"", "é", "😀", "\u{7F}"], length: 0...12)) { text in
            var hostile = span
            hostile.name = text
            hostile.statusMessage = text
            hostile.attributes = [SpanAttribute(text, .string(text))]
            let data = Data(OTLPEncoder.json([hostile], resource: .gateway(text, version: text)))
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                Issue.record("not JSON: \(String(decoding: data, as: UTF8.self))")
                return
            }
            let scope = ((object["resourceSpans"] as! [[String: Any]])[0]["scopeSpans"] as! [[String: Any]])[0]
            let encoded = (scope["spans"] as! [[String: Any]])[0]
            #expect(encoded["name"] as? String == text)
            #expect((encoded["status"] as! [String: Any])["message"] as? String == text)
            let attribute = (encoded["attributes"] as! [[String: Any]])[0]
            #expect(attribute["key"] as? String == text)
            #expect((attribute["value"] as! [String: Any])["stringValue"] as? String == text)
        }
    }
}
