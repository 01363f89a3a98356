import AIGateway
import Foundation

/// What a DLP profile looks for: candidates found by linear-time patterns, each then held to
/// the profile's own check (a card number's Luhn digit, an IBAN's mod-97 checksum, an SSN's
/// number ranges, digits not running on either side).
public struct DLPProfile: Sendable {
    public let id: String
    let patterns: [DLPPattern]
    let accepts: @Sendable ([UInt8], Range<Int>) -> Bool
    /// A byte every match holds (`@` for e-mail): only the text around its occurrences is
    /// scanned, up to ``anchorReach`` bytes either side: most text holds none.
    let anchor: UInt8?
    static let anchorReach = 320

    init(
        id: String, patterns: [String], anchor: UInt8? = nil,
        accepts: @escaping @Sendable ([UInt8], Range<Int>) -> Bool = { _, _ in true }
    ) {
        self.id = id
        // Each pattern its own pass: measured faster than one alternation of them, whose wider
        // set of first bytes starts more threads. (The built-in patterns are fixed text: a
        // failure here is a programming error.)
        self.patterns = patterns.map { try! DLPPattern($0) }
        self.accepts = accepts
        self.anchor = anchor
    }

    /// A custom profile from its regular expression.
    public init(custom: DLPCustomProfile) throws(DLPPattern.Problem) {
        id = custom.id
        patterns = [try DLPPattern(custom.pattern)]
        accepts = { _, _ in true }
        anchor = nil
    }

    /// Where the profile matches in `text`, in order.
    public func matches(in text: [UInt8]) -> [Range<Int>] {
        var found: [Range<Int>] = []
        for region in regions(of: text) {
            let slice = Array(text[region])
            for pattern in patterns {
                found += pattern.matches(in: slice).map { ($0.lowerBound + region.lowerBound)..<($0.upperBound + region.lowerBound) }
                    .filter { accepts(text, $0) }
            }
        }
        return Array(Set(found.map { [$0.lowerBound, $0.upperBound] })).map { $0[0]..<$0[1] }.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// The parts of `text` worth scanning: all of it, or the stretches around the anchor byte.
    private func regions(of text: [UInt8]) -> [Range<Int>] {
        guard let anchor else { return [text.startIndex..<text.endIndex] }
        var regions: [Range<Int>] = []
        var index = text.firstIndex(of: anchor)
        while let at = index {
            let region = max(0, at - Self.anchorReach)..<min(text.count, at + Self.anchorReach)
            if let last = regions.last, last.upperBound >= region.lowerBound {
                regions[regions.count - 1] = last.lowerBound..<region.upperBound
            } else {
                regions.append(region)
            }
            index = text[(at + 1)...].firstIndex(of: anchor)
        }
        return regions
    }

    // MARK: Built in

    /// The built-in profiles, by id: `credit_card`, `iban`, `us_ssn`, `email`, `phone`, `secrets`.
    public static let builtIn: [String: DLPProfile] = Dictionary(
        uniqueKeysWithValues: [creditCard, iban, usSSN, email, phone, secrets].map { ($0.id, $0) })

    static let creditCard = DLPProfile(id: "credit_card", patterns: ["[0-9](?:[ -]?[0-9]){12,18}"]) { text, range in
        let digits = text[range].filter { (48...57).contains($0) }.map { Int($0 - 48) }
        return (13...19).contains(digits.count) && standsAlone(text, range) && Set(digits).count > 1 && luhn(digits)
    }

    static let iban = DLPProfile(id: "iban", patterns: ["[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}"]) { text, range in
        standsAlone(text, range) && ibanChecksum(text[range].filter { $0 != 32 })
    }

    static let usSSN = DLPProfile(id: "us_ssn", patterns: ["[0-9]{3}-[0-9]{2}-[0-9]{4}"], anchor: UInt8(ascii: "-")) { text, range in
        let digits = text[range].filter { (48...57).contains($0) }.map { Int($0 - 48) }
        let area = digits[0] * 100 + digits[1] * 10 + digits[2]
        let group = digits[3] * 10 + digits[4]
        let serial = digits[5...].reduce(0) { $0 * 10 + $1 }
        return standsAlone(text, range) && area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
    }

    static let email = DLPProfile(
        id: "email", patterns: ["[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,24}"], anchor: UInt8(ascii: "@"))

    static let phone = DLPProfile(
        id: "phone", patterns: ["\\+[1-9][0-9]{7,14}", "\\(?[0-9]{3}\\)?[ .-][0-9]{3}[ .-][0-9]{4}"]
    ) { text, range in standsAlone(text, range) }

    /// API keys of the listed providers, private keys, JWTs, AWS access keys.
    static let secrets = DLPProfile(
        id: "secrets",
        patterns: [
            "sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}", "gsk_[A-Za-z0-9]{20,}", "AIza[0-9A-Za-z_-]{35}", "gh[pousr]_[A-Za-z0-9]{36}",
            "github_pat_[A-Za-z0-9_]{22,}", "xox[abprs]-[A-Za-z0-9-]{10,}", "(?:sk|rk)_live_[0-9A-Za-z]{20,}",
            "(?:AKIA|ASIA)[0-9A-Z]{16}", "-----BEGIN [A-Z ]*PRIVATE KEY-----",
            "eyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{10,}",
        ])

    /// No letter or digit right before or after (a number inside a longer one is not a match).
    static func standsAlone(_ text: [UInt8], _ range: Range<Int>) -> Bool {
        func isAlphanumeric(_ byte: UInt8) -> Bool { DLPPattern.ByteSet.word.contains(byte) && byte != UInt8(ascii: "_") }
        if range.lowerBound > 0, isAlphanumeric(text[range.lowerBound - 1]) { return false }
        if range.upperBound < text.count, isAlphanumeric(text[range.upperBound]) { return false }
        return true
    }

    /// The Luhn check digit holds.
    static func luhn(_ digits: [Int]) -> Bool {
        var sum = 0
        for (index, digit) in digits.reversed().enumerated() {
            if index % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return sum % 10 == 0
    }

    /// An IBAN's check digits hold (ISO 13616: the country and check moved to the end, letters
    /// as 10-35, the number mod 97 is 1).
    static func ibanChecksum(_ text: [UInt8]) -> Bool {
        guard (15...34).contains(text.count) else { return false }
        var remainder = 0
        for byte in text[4...] + text[..<4] {
            switch byte {
            case 48...57: remainder = (remainder * 10 + Int(byte - 48)) % 97
            case 65...90: remainder = (remainder * 100 + Int(byte - 55)) % 97
            default: return false
            }
        }
        return remainder == 1
    }
}

/// One profile's match: where (byte offsets into the scanned text), and which policies it concerns.
public struct DLPFinding: Sendable, Hashable {
    public var profile: String
    public var range: Range<Int>
    public var policyIDs: [String]
}

/// What DLP decided about one text.
public struct DLPVerdict: Sendable {
    public var findings: [DLPFinding] = []
    /// `BLOCK` (any blocking policy matched), `REDACT`, `FLAG`, or nil for no finding.
    public var action: String?
    /// The ranges to replace, for `REDACT`, with the profile that matched each.
    public var redactions: [(range: Range<Int>, profile: String)] = []

    public var blocks: Bool { action == "BLOCK" }
}

/// A gateway's DLP, compiled: its enabled policies with their profiles, ready to scan.
public struct DLPScanner: Sendable {
    struct Policy: Sendable {
        var id: String
        var action: String
        var request: Bool
        var response: Bool
        var profiles: [DLPProfile]
    }

    let policies: [Policy]

    /// The scanner of `settings` (nil when DLP is off or has no enabled policy). A profile that
    /// is neither built in nor custom was refused when the settings were saved; it is skipped.
    public init?(_ settings: DLPSettings?) {
        guard let settings, settings.enabled else { return nil }
        var custom: [String: DLPProfile] = [:]
        for profile in settings.customProfiles {
            if let compiled = try? DLPProfile(custom: profile) { custom[profile.id] = compiled }
        }
        policies = settings.policies.filter(\.enabled).map { policy in
            Policy(
                id: policy.id, action: policy.action, request: policy.check.contains("REQUEST"), response: policy.check.contains("RESPONSE"),
                profiles: policy.profiles.compactMap { DLPProfile.builtIn[$0] ?? custom[$0] })
        }
        if policies.isEmpty { return nil }
    }

    /// Whether any policy checks requests (or answers).
    public func checks(request: Bool) -> Bool { policies.contains { request ? $0.request : $0.response } }

    /// Scans `text` for the policies that check this direction.
    public func scan(_ text: [UInt8], request: Bool) -> DLPVerdict {
        var verdict = DLPVerdict()
        var byProfile: [String: (ranges: [Range<Int>], policies: [String])] = [:]
        var matched: [Policy] = []
        for policy in policies where request ? policy.request : policy.response {
            var hit = false
            for profile in policy.profiles {
                let ranges = byProfile[profile.id]?.ranges ?? profile.matches(in: text)
                byProfile[profile.id, default: (ranges, [])].ranges = ranges
                if !ranges.isEmpty {
                    byProfile[profile.id]!.policies.append(policy.id)
                    hit = true
                }
            }
            if hit { matched.append(policy) }
        }
        for (profile, found) in byProfile.sorted(by: { $0.key < $1.key }) where !found.ranges.isEmpty {
            for range in found.ranges { verdict.findings.append(DLPFinding(profile: profile, range: range, policyIDs: found.policies)) }
        }
        let actions = Set(matched.map(\.action))
        verdict.action = actions.contains("BLOCK") ? "BLOCK" : actions.contains("REDACT") ? "REDACT" : actions.isEmpty ? nil : "FLAG"
        if verdict.action == "REDACT" {
            let redacting = Set(matched.filter { $0.action == "REDACT" }.flatMap { $0.profiles.map(\.id) })
            verdict.redactions = verdict.findings.filter { redacting.contains($0.profile) }.map { ($0.range, $0.profile) }
        }
        return verdict
    }

    /// `text` with each redacted range replaced by `[REDACTED:profile]` (overlaps merged).
    public static func redact(_ text: [UInt8], _ redactions: [(range: Range<Int>, profile: String)]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var cursor = 0
        for (range, profile) in redactions.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) where range.upperBound > cursor {
            let start = max(range.lowerBound, cursor)
            output += text[cursor..<start]
            output += Array("[REDACTED:\(profile)]".utf8)
            cursor = range.upperBound
        }
        output += text[cursor...]
        return output
    }

    /// The `cf-aig-dlp` header's value: `{"findings": [{"profile": {"id"}, "policy_ids", "check"}], "action"}`,
    /// one finding per profile (never the matched text).
    public static func header(_ verdict: DLPVerdict, check: String) -> String {
        var seen: [String: [String]] = [:]
        for finding in verdict.findings { seen[finding.profile] = finding.policyIDs }
        let findings: [JSONValue] = seen.sorted { $0.key < $1.key }.map { profile, policies in
            ["profile": ["id": .string(profile)], "policy_ids": .array(policies.map(JSONValue.string)), "check": .string(check)]
        }
        let object: JSONValue = ["findings": .array(findings), "action": .string(verdict.action ?? "FLAG")]
        return String(decoding: object.jsonData(), as: UTF8.self)
    }
}
