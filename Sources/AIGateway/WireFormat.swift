import Foundation

/// How the management API writes and reads JSON: snake_case keys (from each type's coding
/// keys) and dates as ISO 8601 with milliseconds in UTC, e.g. `2025-01-31T12:00:00.123Z`.
public enum WireFormat {
    /// An encoder for management API bodies.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Self.timestamp))
        }
        return encoder
    }

    /// A decoder for management API bodies; it also reads dates without fractional seconds.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = (try? Self.timestamp.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text)) {
                return date
            }
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not an ISO 8601 date-time")
        }
        return decoder
    }

    private static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
