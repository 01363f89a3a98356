import Testing

@testable import GatewayServer

@Suite("HTTPDate")
struct HTTPDateTests {
    @Test("formats RFC 9110's IMF-fixdate", arguments: [
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (1_796_601_599, "Sun, 06 Dec 2026 23:59:59 GMT"),
    ])
    func format(seconds: Int, expected: String) {
        #expect(HTTPDate.format(secondsSince1970: seconds) == expected)
    }
}
