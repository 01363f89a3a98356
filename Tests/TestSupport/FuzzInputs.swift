import Foundation
import PropertyBased

/// Inputs for the fuzz properties: text built from the pieces a parser cares about (its
/// delimiters, escapes, keywords and the bytes an attacker reaches for) mixed with arbitrary
/// bytes, so that both deep and shallow paths of the parser are reached.
public enum FuzzInputs {
    /// How many inputs each property tries: `AIGW_FUZZ_COUNT`, else 1,000 (CI's bound).
    public static let count = Int(ProcessInfo.processInfo.environment["AIGW_FUZZ_COUNT"] ?? "") ?? 1000

    /// Bytes an attacker reaches for in any text.
    public static let hostile = [
        "\r", "\n", "\r\n", "\u{0}", "\t", " ", "%", "%00", "%0d%0a", "%2e", "%2E", "%2f", "%2F", "%5c", "%25", "..", ".", "/",
        "\\", "#", "?", "&", "=", "@", ":", "\"", "'", "\u{FF0E}", "\u{0430}", "é", "😀", "\u{7F}", "<script>",
    ]

    /// Text of 0 to `length` pieces, each one of `pieces`, a hostile piece, or a random byte
    /// (which may leave the text's UTF-8 repaired: the parsers see what a String can hold).
    public static func text(_ pieces: [String], length: ClosedRange<Int> = 0...16) -> Generator<String, some SendableSequenceType> {
        let all = pieces + hostile
        return Gen.int(in: 0...(all.count + 255)).array(of: length).map { choices in
            var bytes: [UInt8] = []
            for choice in choices {
                if choice < all.count { bytes += Array(all[choice].utf8) } else { bytes.append(UInt8(choice - all.count)) }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Raw bytes of 0 to `length` pieces, as ``text(_:length:)`` but never repaired.
    public static func bytes(_ pieces: [String], length: ClosedRange<Int> = 0...24) -> Generator<[UInt8], some SendableSequenceType> {
        let all = pieces + hostile
        return Gen.int(in: 0...(all.count + 255)).array(of: length).map { choices in
            var bytes: [UInt8] = []
            for choice in choices {
                if choice < all.count { bytes += Array(all[choice].utf8) } else { bytes.append(UInt8(choice - all.count)) }
            }
            return bytes
        }
    }

    /// Pieces of JSON text.
    public static let json = [
        "{", "}", "[", "]", ",", ":", "\"", "\"a\"", "\"model\"", "\"messages\"", "\"provider\"", "\"endpoint\"", "\"query\"",
        "\"headers\"", "\"config\"", "true", "false", "null", "0", "-1", "1.5e3", "01", "\\u0000", "\\ud800", "\\\"", " ",
    ]

    /// `s` percent-decoded again and again until nothing is left to decode, or what is left
    /// is no escape (`%25` is a literal `%`): Foundation's decoder, the oracle the path rule
    /// is checked against.
    public static func fullyDecoded(_ s: String) -> String? {
        var current = s
        for _ in 0..<8 {
            guard current.contains("%") else { return current }
            guard let next = current.removingPercentEncoding else { return current }
            if next == current { return current }
            current = next
        }
        return current
    }
}
