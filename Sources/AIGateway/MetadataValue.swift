/// One value of a log's `metadata`: Cloudflare allows strings, numbers, booleans and null.
public enum MetadataValue: Sendable, Hashable, Codable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "metadata values must be a string, number, boolean or null")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value):
            // Whole numbers are written without a fraction so `{"n": 1}` reads back as `1`.
            if value.rounded() == value, abs(value) < 1e15 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}

/// A log's metadata: at most ``LogMetadata/maximumEntries`` keys with primitive values.
public typealias LogMetadata = [String: MetadataValue]

extension Dictionary where Key == String, Value == MetadataValue {
    /// The most entries Cloudflare accepts in `cf-aig-metadata` (and in a log's metadata).
    public static var maximumEntries: Int { 5 }
}
