import Testing

@testable import GatewayCore

@Suite("Byte search in strings")
struct ContainsBytesTests {
    @Test("finds a needle anywhere, in strings and substrings, by exact bytes")
    func search() {
        #expect("text/event-stream; charset=utf-8".containsBytes("event-stream"))
        #expect("application/x-ndjson".containsBytes("ndjson"))
        #expect(!"application/json".containsBytes("event-stream"))
        #expect("abc".containsBytes(""))
        #expect(!"ab".containsBytes("abc"))
        #expect("aab".containsBytes("ab"))
        #expect("v1/chat/completions".dropFirst(3).containsBytes("chat/completions"))
        #expect("modèle-embed".containsBytes("embed"))
        #expect(!"EMBED".containsBytes("embed"))
    }
}
