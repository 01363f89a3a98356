import AIGateway
import NIOCore

/// DLP over a streamed answer (server-sent events), as it passes (SPEC section 11). The text
/// the events carry (their `content`, `text`, ... strings, as ``ScreenedText`` reads them) is
/// scanned as one running text, so a match split across events is found; events are held back
/// until ``window`` characters of text have come after them, so no part of a match leaves
/// before it is judged. A blocking match ends the stream with an error event. Redaction works
/// on what is held: a match is replaced in the event bytes when it lies within one event.
public struct DLPStreamFilter: Sendable {
    let scanner: DLPScanner
    /// Text held back after an event before it goes: longer than any match in practice.
    static let window = 256

    /// Bytes of an event not yet complete.
    private var partial: [UInt8] = []
    /// Complete events held, with the length of the text each carries.
    private var held: [(event: [UInt8], text: Int)] = []
    /// The running text of the held events (and a window of what went before).
    private var text: [UInt8] = []
    /// How much of the stream's text lies before `text`.
    private var textOffset = 0
    private var seen: Set<Int> = []
    public private(set) var findings: [DLPFinding] = []
    public private(set) var action: String?

    public init(scanner: DLPScanner) {
        self.scanner = scanner
    }

    /// What may go out after `chunk` arrived, or nil when a blocking match ends the stream.
    public mutating func pass(_ chunk: ByteBuffer) -> ByteBuffer? {
        partial += chunk.readableBytesView
        while let end = Self.eventEnd(in: partial) {
            let event = Array(partial[..<end])
            partial.removeFirst(end)
            let content = Array(ScreenedText.extract(event, contentType: "text/event-stream").utf8)
            held.append((event, content.count))
            text += content
        }
        guard screen() else { return nil }
        // Release the oldest events while enough text follows them.
        var out: [UInt8] = []
        var following = held.reduce(0) { $0 + $1.text }
        while let first = held.first, following - first.text >= Self.window {
            out += first.event
            following -= first.text
            held.removeFirst()
        }
        // Keep only a window of text before what is held (for matches that span).
        let keep = following + Self.window
        if text.count > keep {
            textOffset += text.count - keep
            text.removeFirst(text.count - keep)
        }
        return ByteBuffer(bytes: out)
    }

    /// Everything still held, at the stream's end, or nil when it blocks.
    public mutating func finish() -> ByteBuffer? {
        guard screen() else { return nil }
        defer {
            held = []
            partial = []
        }
        return ByteBuffer(bytes: held.flatMap(\.event) + partial)
    }

    /// Scans the running text; false when it blocks. Redacts matches within single held events.
    private mutating func screen() -> Bool {
        let verdict = scanner.scan(text, request: false)
        guard let verdictAction = verdict.action else { return true }
        for finding in verdict.findings where seen.insert(textOffset + finding.range.lowerBound).inserted {
            var absolute = finding
            absolute.range = (textOffset + finding.range.lowerBound)..<(textOffset + finding.range.upperBound)
            findings.append(absolute)
        }
        action = action.map { Self.stronger($0, verdictAction) } ?? verdictAction
        if verdict.blocks { return false }
        if verdictAction == "REDACT" {
            for index in held.indices {
                let redactable = scanner.scan(held[index].event, request: false).redactions
                if !redactable.isEmpty { held[index].event = DLPScanner.redact(held[index].event, redactable) }
            }
        }
        return true
    }

    /// Where the first complete event of `bytes` ends (after its blank line), if one is complete.
    static func eventEnd(in bytes: [UInt8]) -> Int? {
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == 10, bytes[index + 1] == 10 { return index + 2 }
            if index + 3 < bytes.count, bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 {
                return index + 4
            }
            index += 1
        }
        return nil
    }

    static func stronger(_ a: String, _ b: String) -> String {
        let order = ["FLAG": 0, "REDACT": 1, "BLOCK": 2]
        return (order[a] ?? 0) >= (order[b] ?? 0) ? a : b
    }

    /// The event that ends a blocked stream, which OpenAI's SDKs raise as an error.
    public static let blockedEvent = ByteBuffer(
        string: "data: {\"error\":{\"message\":\"Response blocked by data loss prevention\",\"type\":\"dlp_blocked\",\"code\":2030}}\n\n")
}
