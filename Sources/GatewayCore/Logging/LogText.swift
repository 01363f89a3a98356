/// Text as a log stores it.
///
/// A log's text columns must go into either store unchanged and never fail a batch: NUL is
/// text SQLite keeps but PostgreSQL refuses (in `text` and in `jsonb`), so it is written as
/// U+FFFD everywhere; and the columns PostgreSQL indexes (model, event id) are bounded, since
/// an index entry over about 2.7 KB fails the insert. Every other byte is kept.
public enum LogText {
    /// The most UTF-8 bytes kept of an indexed value (a model name, an event id).
    public static let indexedLimit = 512

    /// `text`, NUL written as U+FFFD.
    public static func storable(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : $0 }))
    }

    /// `text` as ``storable(_:)``, cut to at most ``indexedLimit`` bytes on a character boundary.
    public static func indexed(_ text: String) -> String {
        let text = storable(text)
        guard text.utf8.count > indexedLimit else { return text }
        var end = text.startIndex
        var bytes = 0
        for index in text.indices {
            let next = text.index(after: index)
            bytes += text.utf8.distance(from: index, to: next)
            if bytes > indexedLimit { break }
            end = next
        }
        return String(text[..<end])
    }
}

/// The first 2 KiB of a body as the text a log shows (`request_head`, `response_head`), and
/// whether that text is the body byte for byte, in which case the body needs no second copy.
public struct BodyHead: Sendable, Equatable {
    /// The bytes of a head.
    public static let length = 2048

    /// The head as text: invalid UTF-8 repaired, NUL written as U+FFFD.
    public let text: String
    /// The head is all of the body (`*_head_complete`).
    public let complete: Bool
    /// `complete`, and ``text`` is exactly the body's bytes (valid UTF-8 without NUL).
    public let isExact: Bool

    /// The head of `body`; `complete` says whether `body` is the whole of it.
    public init(of body: some Collection<UInt8>, complete: Bool) {
        let prefix = body.prefix(Self.length)
        let complete = complete && body.count <= Self.length
        if complete, !prefix.contains(0), let exact = String(validating: prefix, as: UTF8.self) {
            self.text = exact
            self.isExact = true
        } else {
            self.text = LogText.storable(String(decoding: prefix, as: UTF8.self))
            self.isExact = false
        }
        self.complete = complete
    }
}
