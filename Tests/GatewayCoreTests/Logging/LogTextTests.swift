import Testing

@testable import GatewayCore

@Suite("Log text: what a log's text columns hold, in either store")
struct LogTextTests {
    @Test("NUL becomes U+FFFD; other text is kept as is")
    func storable() {
        #expect(LogText.storable("plain ünïcode") == "plain ünïcode")
        #expect(LogText.storable("a\u{0}b\u{0}") == "a\u{FFFD}b\u{FFFD}")
    }

    @Test("an indexed value is cut to 512 bytes, never inside a character")
    func indexed() {
        #expect(LogText.indexed("gpt-4o-mini") == "gpt-4o-mini")
        let cut = LogText.indexed(String(repeating: "ab€", count: 200))
        #expect(cut.utf8.count <= LogText.indexedLimit && cut.utf8.count > LogText.indexedLimit - 4)
        #expect(String(repeating: "ab€", count: 200).hasPrefix(cut))
        #expect(LogText.indexed(String(repeating: "👩‍👩‍👧", count: 100)).utf8.count <= LogText.indexedLimit)
    }

    @Test("a small UTF-8 body is its own head, exactly")
    func exactHead() {
        let head = BodyHead(of: Array(#"{"a":"é"}"#.utf8), complete: true)
        #expect(head.text == #"{"a":"é"}"# && head.complete && head.isExact)
        let empty = BodyHead(of: [UInt8](), complete: true)
        #expect(empty.text == "" && empty.isExact)
    }

    @Test("a head is not exact for a body over 2 KiB, an unfinished body, NUL or invalid UTF-8")
    func inexactHeads() {
        let long = BodyHead(of: Array(repeating: UInt8(ascii: "x"), count: 2049), complete: true)
        #expect(long.text.utf8.count == 2048 && !long.complete && !long.isExact)
        let cut = BodyHead(of: Array("partial".utf8), complete: false)
        #expect(cut.text == "partial" && !cut.complete && !cut.isExact)
        let nul = BodyHead(of: [0x61, 0, 0x62], complete: true)
        #expect(nul.text == "a\u{FFFD}b" && nul.complete && !nul.isExact)
        // A truncated 4-byte sequence repairs to one U+FFFD of the same length: still not exact.
        let invalid = BodyHead(of: [0xF0, 0x90, 0x80], complete: true)
        #expect(invalid.text == "\u{FFFD}" && !invalid.isExact)
    }
}
