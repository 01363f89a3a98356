import NIOCore

/// One server-sent event: what a streamed answer is made of
/// (`data: {"response":"Hel"}`, ..., `data: [DONE]`).
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field, when the stream names its events (Anthropic does).
    public var event: String?
    /// The `data:` lines, joined with newlines.
    public var data: String
    /// The `id:` field, when given.
    public var id: String?

    /// An event with these fields.
    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }

    /// Whether this is the OpenAI-style end marker `[DONE]`.
    public var isDone: Bool { data == "[DONE]" }
}

/// Splits a byte stream into server-sent events, however the bytes are chunked.
public struct ServerSentEventParser: Sendable {
    private var buffer: [UInt8] = []
    private var event: String?
    private var data: [String] = []
    private var id: String?

    /// A parser at the start of a stream.
    public init() {}

    /// Feeds bytes; returns the events they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        buffer.append(contentsOf: bytes)
        var events: [ServerSentEvent] = []
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = buffer[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let text = String(decoding: line, as: UTF8.self)
            buffer.removeSubrange(...newline)
            if let event = take(line: text) { events.append(event) }
        }
        return events
    }

    /// Ends the stream: an event not followed by a blank line is still delivered.
    public mutating func finish() -> ServerSentEvent? {
        if !buffer.isEmpty {
            let text = String(decoding: buffer, as: UTF8.self)
            buffer = []
            if let event = take(line: text) { return event }
        }
        return take(line: "")
    }

    private mutating func take(line: String) -> ServerSentEvent? {
        if line.isEmpty {
            defer { (event, data, id) = (nil, [], nil) }
            return data.isEmpty ? nil : ServerSentEvent(event: event, data: data.joined(separator: "\n"), id: id)
        }
        if line.hasPrefix(":") { return nil }  // a comment
        let (field, value) = split(line)
        switch field {
        case "event": event = value
        case "data": data.append(value)
        case "id": id = value
        default: break
        }
        return nil
    }

    private func split(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.first == " " { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }
}

/// The events of a streamed answer, as they arrive.
public struct ServerSentEventStream: AsyncSequence, Sendable {
    public typealias Element = ServerSentEvent
    let body: ResponseBodyStream

    /// Reads the events in order.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: ResponseBodyStream.AsyncIterator
        var parser = ServerSentEventParser()
        var ready: [ServerSentEvent] = []
        var finished = false

        public mutating func next() async throws -> ServerSentEvent? {
            while ready.isEmpty {
                if finished { return nil }
                if let chunk = try await chunks.next() {
                    ready = parser.feed(chunk)
                } else {
                    finished = true
                    if let last = parser.finish() { ready = [last] }
                }
            }
            return ready.removeFirst()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: body.makeAsyncIterator())
    }
}
