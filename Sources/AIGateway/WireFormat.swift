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
            try container.encode(timestamp(date))
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

    /// A date as the wire writes it (also for fields that are text in Cloudflare's types).
    /// The formatter cuts to the millisecond; a tenth of a microsecond is added first, so that a
    /// date read back from its own text (a hair below the millisecond in binary) writes the
    /// same text again.
    public static func timestamp(_ date: Date) -> String { date.addingTimeInterval(1e-7).formatted(timestamp) }

    private static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
