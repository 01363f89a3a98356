import AIGateway
import Foundation
import PropertyBased
import TestSupport
import Testing

@testable import GatewayCore

@Suite("DLP: linear-time patterns, built-in profiles with their checks, policies, redaction")
struct DLPTests {
    func matches(_ pattern: String, _ text: String) throws -> [String] {
        let bytes = Array(text.utf8)
        return try DLPPattern(pattern).matches(in: bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    @Test("patterns: classes, groups, alternation, quantifiers, anchors, case-insensitivity, leftmost-longest")
    func patterns() throws {
        #expect(try matches("ab+c", "xabbbc abc ac") == ["abbbc", "abc"])
        #expect(try matches("(?:cat|dog)s?", "cats and a dog") == ["cats", "dog"])
        #expect(try matches("[a-c]{2,3}", "abcabca") == ["abc", "abc"])
        #expect(try matches("[^0-9 ]+", "ab 12 cd") == ["ab", "cd"])
        #expect(try matches("\\d{3}-\\d{4}", "call 555-1234 now") == ["555-1234"])
        #expect(try matches("^ab", "abab") == ["ab"])
        #expect(try matches("ab$", "abab") == ["ab"])
        #expect(try matches("(?i)secret", "SeCrEt and secret") == ["SeCrEt", "secret"])
        #expect(try matches("a.c", "a\nc abc") == ["abc"])
        #expect(try matches("x*", "") == [""])
    }

    @Test("patterns the engine cannot run in linear time, or cannot read, are refused with where", arguments: [
        "(a", "a)", "[abc", "\\1", "(?=a)", "*a", "a{101}", "a{3,2}", "\\q", "(?<n>a)",
    ])
    func refusedPatterns(pattern: String) {
        #expect(throws: DLPPattern.Problem.self) { try DLPPattern(pattern) }
    }

    @Test("a pathological pattern over a hostile megabyte ends (no backtracking), with the right answer")
    func hostileInput() throws {
        let text = Array(repeating: UInt8(ascii: "a"), count: 1_000_000) + [UInt8(ascii: "!")]
        let pattern = try DLPPattern("(a+)+b")
        #expect(pattern.matches(in: text).isEmpty)
        let nested = try DLPPattern("(?:a|aa)+!")
        #expect(nested.matches(in: text) == [0..<text.count])
    }

    func found(_ profile: String, _ text: String) -> [String] {
        let bytes = Array(text.utf8)
        return DLPProfile.builtIn[profile]!.matches(in: bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    @Test("credit cards: Luhn-valid numbers with spaces or dashes; numbers failing Luhn, too short, inside longer digits, or all one digit are not")
    func creditCards() {
        #expect(found("credit_card", "card 4111 1111 1111 1111 ok") == ["4111 1111 1111 1111"])
        #expect(found("credit_card", "5500-0000-0000-0004") == ["5500-0000-0000-0004"])
        #expect(found("credit_card", "378282246310005") == ["378282246310005"])
        #expect(found("credit_card", "4111 1111 1111 1112").isEmpty)  // Luhn fails
        #expect(found("credit_card", "411111111111").isEmpty)  // 12 digits
        #expect(found("credit_card", "id 94111111111111111").isEmpty)  // inside a longer number
        #expect(found("credit_card", "0000000000000000").isEmpty)
    }

    @Test("IBANs with valid checksums; a changed digit is not")
    func ibans() {
        #expect(found("iban", "pay DE89370400440532013000 now") == ["DE89370400440532013000"])
        #expect(found("iban", "GB82 WEST 1234 5698 7654 32") == ["GB82 WEST 1234 5698 7654 32"])
        #expect(found("iban", "DE89370400440532013001").isEmpty)
    }

    @Test("US SSNs in their ranges; area 000, 666, 9xx, group 00 and serial 0000 are not")
    func ssns() {
        #expect(found("us_ssn", "ssn 123-45-6789.") == ["123-45-6789"])
        for miss in ["000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000", "1123-45-6789"] {
            #expect(found("us_ssn", miss).isEmpty, "\(miss)")
        }
    }

    @Test("e-mail addresses, phone numbers, and secrets of the listed kinds")
    func others() {
        #expect(found("email", "write to ada.l+ai@example.co.uk today") == ["ada.l+ai@example.co.uk"])
        #expect(found("email", "not an@address").isEmpty)
        #expect(found("phone", "call +14155552671 or (415) 555-2671") == ["+14155552671", "(415) 555-2671"])
        #expect(found("phone", "version 1.2.3").isEmpty)
        let secrets = [
            "sk-proj-abcdefghijklmnopqrstuvwxyz0123", "sk-ant-api03-abcdefghijklmnopqrstuv", "gsk_abcdefghijklmnopqrstuv12",
            "AKIAIOSFODNN7EXAMPLE", "-----BEGIN RSA PRIVATE KEY-----", "ghp_" + String(repeating: "a", count: 36),
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ]
        for secret in secrets {
            #expect(found("secrets", "key: \(secret) end") == [secret], "\(secret)")
        }
        #expect(found("secrets", "sk-short and AKIA123").isEmpty)
    }

    func scanner(_ policies: [DLPPolicy], custom: [DLPCustomProfile] = []) -> DLPScanner {
        DLPScanner(DLPSettings(policies: policies, customProfiles: custom))!
    }

    @Test("policies: the strongest action of the matching policies wins, by direction; redaction replaces only redacting profiles; the header names profiles, never text")
    func policies() throws {
        let scanner = scanner(
            [
                DLPPolicy(id: "flag-mail", action: "FLAG", check: ["REQUEST", "RESPONSE"], profiles: ["email"]),
                DLPPolicy(id: "redact-cards", action: "REDACT", check: ["REQUEST"], profiles: ["credit_card"]),
                DLPPolicy(id: "block-secrets", action: "BLOCK", check: ["RESPONSE"], profiles: ["secrets", "employee"]),
            ], custom: [DLPCustomProfile(id: "employee", pattern: "EMP-[0-9]{6}")])
        let text = Array("mail ada@example.com card 4111 1111 1111 1111 EMP-123456".utf8)
        let request = scanner.scan(text, request: true)
        #expect(request.action == "REDACT" && Set(request.findings.map(\.profile)) == ["email", "credit_card"])
        #expect(String(decoding: DLPScanner.redact(text, request.redactions), as: UTF8.self)
            == "mail ada@example.com card [REDACTED:credit_card] EMP-123456")
        let response = scanner.scan(text, request: false)
        #expect(response.blocks && response.findings.contains { $0.profile == "employee" && $0.policyIDs == ["block-secrets"] })
        let header = DLPScanner.header(request, check: "REQUEST")
        #expect(header.contains(#""action":"REDACT""#) && header.contains(#""policy_ids":["redact-cards"]"#) && !header.contains("4111"))
        #expect(scanner.scan(Array("nothing here".utf8), request: true).action == nil)
        #expect(DLPScanner(DLPSettings(enabled: false, policies: [DLPPolicy(id: "p", action: "FLAG", check: ["REQUEST"], profiles: ["email"])])) == nil)
    }

    @Test("fuzz: any pattern text compiles or is refused, and any compiled pattern scans any bytes to matches inside them")
    func fuzz() async {
        let pieces = ["a", "b", "(", ")", "(?:", "|", "*", "+", "?", "{2}", "{1,3}", "[", "]", "^", "$", "\\d", "\\w", ".", "-", "\\", "[^a]"]
        await propertyCheck(
            count: FuzzInputs.count, input: FuzzInputs.text(pieces, length: 0...12), FuzzInputs.bytes(["a", "b", "ab", "1"], length: 0...40)
        ) { pattern, text in
            guard let compiled = try? DLPPattern(pattern) else { return }
            for range in compiled.matches(in: text) {
                #expect(range.lowerBound >= 0 && range.upperBound <= text.count)
            }
        }
    }
}
