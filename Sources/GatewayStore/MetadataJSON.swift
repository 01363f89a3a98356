import AIGateway
import GatewayCore

/// A log's metadata as the JSON text both stores keep: keys sorted, whole numbers without a
/// fraction, NUL written as U+FFFD (PostgreSQL's `jsonb` refuses `\u0000`, and one refused
/// value would fail its whole batch).
///
/// Written by hand because it runs for every log with metadata the writer stores: the
/// `JSONEncoder` it replaces was 6% of the writer's time in `aigw bench-logs`.
enum MetadataJSON {
    /// The JSON object for `metadata`.
    static func encode(_ metadata: LogMetadata) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(64 * metadata.count + 2)
        for (index, key) in metadata.keys.sorted().enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            appendString(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            switch metadata[key] ?? .null {
            case .string(let value): appendString(value, to: &bytes)
            case .number(let value): bytes += number(value).utf8
            case .bool(let value): bytes += (value ? "true" : "false").utf8
            case .null: bytes += "null".utf8
            }
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whole numbers as integers (`1`, not `1.0`), others in Swift's shortest form, which is
    /// valid JSON for finite values; JSON has no infinity or NaN, so those are `null`.
    private static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += #"\""#.utf8
            case UInt8(ascii: "\\"): bytes += #"\\"#.utf8
            case UInt8(ascii: "\n"): bytes += #"\n"#.utf8
            case UInt8(ascii: "\r"): bytes += #"\r"#.utf8
            case UInt8(ascii: "\t"): bytes += #"\t"#.utf8
            case 0: bytes += "\u{FFFD}".utf8
            case 0x01..<0x20:
                bytes += #"\u00"#.utf8
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
