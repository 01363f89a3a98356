import Testing

@testable import GatewayCore

@Suite("HTTP whitespace and Connection options")
struct TrimmingTests {
    @Test("only spaces and tabs around the text go", arguments: [
        ("  a b \t", "a b"), ("\t\t", ""), ("", ""), ("x", "x"), (" \r\n ", "\r\n"), ("é ", "é"),
    ])
    func trimming(text: String, expected: String) {
        #expect(String(text.trimmingHTTPWhitespace) == expected)
    }

    @Test("a Connection header's options are its tokens, lowercased, empty ones dropped")
    func options() {
        #expect(connectionOptions(nil) == [])
        #expect(connectionOptions("keep-alive") == ["keep-alive"])
        #expect(connectionOptions(" Close , X-Foo,,\tUpgrade ") == ["close", "x-foo", "upgrade"])
    }
}
