import Foundation
import PropertyBased
import TestSupport
import Testing

@testable import GatewayServer

/// Fuzzing what the dashboard reads from a browser: the session cookie, the sign-in's `next`
/// address, and the text it escapes into pages.
@Suite("Fuzz: the dashboard's cookies, redirects and escaping")
struct DashboardInputFuzzTests {
    static let cookiePieces = ["aigw_session=", ";", " ", "=", ".", "0", "9999999999", "abcdef0123456789", "ff", "-1", "%00"]

    @Test("no cookie but one this gateway signed opens a session, and a signed one only for its own token")
    func cookies() async {
        let genuine = DashboardSession.start().cookieValue(adminToken: "token-a")
        #expect(DashboardSession.verify(genuine, adminToken: "token-a") != nil)
        #expect(DashboardSession.verify(genuine, adminToken: "token-b") == nil)
        await propertyCheck(count: FuzzInputs.count, input: FuzzInputs.text(Self.cookiePieces + [genuine], length: 0...8)) { header in
            if let value = Dashboard.cookieValue(header), value != genuine {
                #expect(DashboardSession.verify(value, adminToken: "token-a") == nil, "\(value)")
            }
        }
    }

    @Test("a sign-in only ever sends a browser to a path on this site")
    func redirects() async {
        let pieces = ["/", "//", "\\", "http:", "https://evil.example", "javascript:", "%2f", "?", "#", "@", "dashboard"]
        await propertyCheck(count: FuzzInputs.count, input: FuzzInputs.text(pieces, length: 0...8)) { next in
            let path = Dashboard.localPath(next)
            #expect(path.hasPrefix("/") && !path.hasPrefix("//") && !path.contains("\\"), "\(next) -> \(path)")
            #expect(path.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F })
        }
    }

    @Test("escaped text holds no markup, and a percent-encoded segment only unreserved characters and escapes")
    func escaping() async {
        await propertyCheck(count: FuzzInputs.count, input: FuzzInputs.text(["<script>", "\"", "'", "&amp;", "</", ">"], length: 0...10)) { text in
            let escaped = HTML.escape(text)
            #expect(!escaped.contains("<") && !escaped.contains(">") && !escaped.contains("\"") && !escaped.contains("'"))
            let segment = HTML.segment(text)
            #expect(segment.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-._~%".unicodeScalars.contains($0)) })
            #expect(segment.removingPercentEncoding == text || text.utf8.isEmpty == segment.isEmpty)
        }
    }
}
