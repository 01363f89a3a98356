import AIGateway
import Foundation
import NIOCore

/// Turns a provider's successful answer into another format as it streams through the
/// relay (the `/compat` endpoint's way back: a provider's format out as OpenAI's). The
/// relay keeps the provider's own bytes for the log and writes what the translator gives.
public protocol ResponseTranslator: Sendable {
    /// The content type of what the translator writes.
    var contentType: String { get }
    /// Takes the next chunk of the provider's answer; returns what is ready for the client.
    mutating func translate(_ chunk: ByteBuffer) -> ByteBuffer?
    /// The provider's answer ended; returns whatever is left for the client.
    mutating func finish() -> ByteBuffer?
}

/// A whole JSON answer, collected and translated at its end.
struct WholeAnswerTranslator: ResponseTranslator {
    let contentType = "application/json"
    var collected = ByteBuffer()
    /// Builds the client's answer from the provider's; nil keeps the provider's bytes as they are.
    let convert: @Sendable (JSONValue) -> JSONValue?

    mutating func translate(_ chunk: ByteBuffer) -> ByteBuffer? {
        var chunk = chunk
        collected.writeBuffer(&chunk)
        return nil
    }

    mutating func finish() -> ByteBuffer? {
        guard let answer = try? JSONValue(json: Data(collected.readableBytesView)), let converted = convert(answer)
        else { return collected }
        return ByteBuffer(bytes: converted.jsonData())
    }
}

/// A server-sent event stream, translated event by event into OpenAI chunks.
struct EventStreamTranslator<Events: ChatEventTranslation>: ResponseTranslator {
    let contentType = "text/event-stream"
    var parser = ServerSentEventParser()
    var events: Events

    mutating func translate(_ chunk: ByteBuffer) -> ByteBuffer? {
        let out = parser.feed(chunk.readableBytesView).flatMap { events.chunks(for: $0) }
        return out.isEmpty ? nil : Self.encode(out)
    }

    mutating func finish() -> ByteBuffer? {
        var out = parser.finish().map { events.chunks(for: $0) } ?? []
        out += events.finish()
        return out.isEmpty ? nil : Self.encode(out)
    }

    /// `data: {...}\n\n` for each chunk; a string chunk is written as it is (`[DONE]`).
    static func encode(_ chunks: [JSONValue]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for chunk in chunks {
            buffer.writeString("data: ")
            if case .string(let text) = chunk { buffer.writeString(text) } else { buffer.writeBytes(chunk.jsonData()) }
            buffer.writeString("\n\n")
        }
        return buffer
    }
}

/// One provider's stream events as OpenAI `chat.completion.chunk`s.
protocol ChatEventTranslation: Sendable {
    /// The chunks one provider event becomes (often one, sometimes none).
    mutating func chunks(for event: ServerSentEvent) -> [JSONValue]
    /// The chunks after the provider's last event: the usage chunk when asked for, and `[DONE]`.
    mutating func finish() -> [JSONValue]
}
