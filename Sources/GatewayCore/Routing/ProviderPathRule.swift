import AIGateway

/// The one rule for what a provider path and query may hold, on every route (provider URLs,
/// Universal steps, `/compat`, and any route to come): a path that stays under its provider
/// once an upstream has decoded it, in bytes HTTP allows in a request target.
///
/// A path is judged by what it would mean percent-decoded, because that is what the upstream
/// (or a proxy in front of it) acts on: `.%2e`, `%2e.`, `%252e%252e`, `..%2f` and `..%5c` are
/// as much a step out of the provider's base path as `..`. So each segment is decoded, as
/// many times as it still holds an encoding, and refused when it then is `.` or `..`, or
/// holds `/`, `\` or a control character. The raw bytes must be those RFC 3986 allows in a
/// path (no space, control, non-ASCII, `\`, `#`, `?` and no broken `%` escape): the client
/// percent-encodes anything else, and nothing the gateway sends can split a request line.
public enum ProviderPathRule {
    /// Why `path` (percent-encoded, without leading slash or query) cannot be sent under a
    /// provider, or nil when it can.
    public static func problem(inPath path: some StringProtocol) -> String? {
        var bytes = Array(path.utf8)[...]
        while !bytes.isEmpty {
            let end = bytes.firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
            if let problem = problem(inSegment: bytes[..<end]) { return problem }
            bytes = end == bytes.endIndex ? [] : bytes[(end + 1)...]
        }
        return nil
    }

    /// Why one path segment (no `/`) cannot be sent, or nil: the rule of ``problem(inPath:)``.
    public static func problem(inSegment segment: some StringProtocol) -> String? {
        problem(inSegment: Array(segment.utf8)[...])
    }

    /// Why `query` (without `?`) cannot be sent, or nil: it must be visible ASCII without `#`,
    /// so it can neither split the request line nor carry a fragment.
    public static func problem(inQuery query: some StringProtocol) -> String? {
        for byte in query.utf8 where !isVisibleASCII(byte) || byte == UInt8(ascii: "#") {
            return "the query may hold only visible ASCII without '#' (percent-encode anything else); found \(describe(byte))"
        }
        return nil
    }

    private static func problem(inSegment raw: ArraySlice<UInt8>) -> String? {
        for byte in raw where !isPathByte(byte) {
            return "the path may hold only the characters a URL path allows (percent-encode anything else); found \(describe(byte))"
        }
        if raw.contains(UInt8(ascii: "%")) {
            guard var decoded = percentDecoded(raw) else {
                return "the path has a '%' that is not followed by two hex digits"
            }
            // Decoded until nothing is left to decode, so that no double encoding hides a dot or slash.
            for _ in 0..<4 {
                if let problem = meaningProblem(decoded) { return problem }
                guard decoded.contains(UInt8(ascii: "%")), let again = percentDecoded(decoded[...]) else { break }
                decoded = again
            }
            return meaningProblem(decoded)
        }
        return meaningProblem(Array(raw))
    }

    /// What a decoded segment may not be: a dot segment, or hold a separator or control.
    private static func meaningProblem(_ segment: [UInt8]) -> String? {
        if segment == [UInt8(ascii: ".")] || segment == [UInt8(ascii: "."), UInt8(ascii: ".")] {
            return "the path may not contain '.' or '..' segments, encoded or not"
        }
        for byte in segment {
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "\\") {
                return "the path may not contain an encoded '/' or '\\'"
            }
            if byte < 0x20 || byte == 0x7F { return "the path may not contain an encoded control character (\(describe(byte)))" }
        }
        return nil
    }

    /// The bytes with each `%XX` replaced; nil when a `%` is not followed by two hex digits.
    private static func percentDecoded(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                result.append(byte)
                index += 1
                continue
            }
            guard index + 2 < bytes.endIndex,
                let high = bytes[index + 1].hexDigitValue, let low = bytes[index + 2].hexDigitValue
            else { return nil }
            result.append(high << 4 | low)
            index += 3
        }
        return result
    }

    /// RFC 3986 `pchar` and `%`: unreserved, sub-delims, `:` and `@`.
    static func isPathByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"),
            UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
            UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"):
            true
        default: false
        }
    }

    static func isVisibleASCII(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }

    /// A byte as a person can read it in an error: the character, or its code.
    static func describe(_ byte: UInt8) -> String {
        isVisibleASCII(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x" + String(byte, radix: 16, uppercase: true)
    }
}
