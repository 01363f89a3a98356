import Foundation

/// The one strict JSON reading for everything aigw parses itself: management API bodies,
/// Universal steps, `/compat` bodies, `cf-aig-metadata`, log filters.
///
/// RFC 8259 and nothing more: no trailing commas, comments, single quotes, bare words,
/// leading zeros, `NaN` or control characters in strings; text that is valid UTF-8; no
/// object with the same key twice (two readers of one body must not see two different
/// requests); at most ``maximumDepth`` nested arrays and objects. What it refuses it
/// names, with where: `expected ',' or '}' after an object member at line 1, column 13`.
/// (Foundation's `JSONDecoder` accepts `{"score": 1,}`.)
public struct JSONReader {
    /// How deeply arrays and objects may nest.
    public static let maximumDepth = 128

    /// Why a text is not JSON, and where.
    public struct Failure: Error, Equatable, CustomStringConvertible, Sendable {
        /// What was wrong, e.g. `expected ':' after an object key`.
        public var problem: String
        /// The byte offset of the problem, from 0.
        public var offset: Int
        /// The line of the problem, from 1.
        public var line: Int
        /// The column of the problem, in bytes, from 1.
        public var column: Int

        public var description: String { "\(problem) at line \(line), column \(column)" }
    }

    /// Reads one JSON text (with optional surrounding whitespace and nothing else).
    public static func parse(_ bytes: some Collection<UInt8>) throws(Failure) -> JSONValue {
        let array = Array(bytes)
        var reader = JSONReader(bytes: array)
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.index == array.count else { throw reader.failure("unexpected text after the JSON value") }
        return value
    }

    private let bytes: [UInt8]
    private var index = 0

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of the text; expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("expected a value (object, array, string, number, true, false or null), found \(found)")
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw failure("arrays and objects nest deeper than \(Self.maximumDepth)") }
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            guard peek == UInt8(ascii: "\"") else { throw failure("expected a string key in an object, found \(found)") }
            let keyOffset = index
            let key = try string()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw failure("expected ':' after an object key, found \(found)") }
            index += 1
            skipWhitespace()
            let member = try value(depth: depth)
            guard members.updateValue(member, forKey: key) == nil else {
                index = keyOffset
                throw failure("the key '\(key.printableKey)' appears twice in one object")
            }
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
                if peek == UInt8(ascii: "}") { throw failure("a trailing ',' before '}' is not JSON") }
            case UInt8(ascii: "}"):
                index += 1
                return .object(members)
            default:
                throw failure("expected ',' or '}' after an object member, found \(found)")
            }
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw failure("arrays and objects nest deeper than \(Self.maximumDepth)") }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            elements.append(try value(depth: depth))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
                if peek == UInt8(ascii: "]") { throw failure("a trailing ',' before ']' is not JSON") }
            case UInt8(ascii: "]"):
                index += 1
                return .array(elements)
            default:
                throw failure("expected ',' or ']' after an array element, found \(found)")
            }
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws(Failure) -> JSONValue {
        let count = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { expected in
            index + count <= bytes.count && bytes[index..<(index + count)].elementsEqual(expected)
        }
        guard matches else { throw failure("expected a value, found \(found)") }
        index += count
        return value
    }

    /// RFC 8259 section 6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func number() throws(Failure) -> Double {
        let start = index
        if peek == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, isDigit(first) else { throw failure("a '-' must be followed by a digit") }
        index += 1
        if first == UInt8(ascii: "0"), let next = peek, isDigit(next) {
            throw failure("a number may not have a leading zero")
        }
        skipDigits()
        if peek == UInt8(ascii: ".") {
            index += 1
            guard let digit = peek, isDigit(digit) else { throw failure("a '.' in a number must be followed by a digit") }
            skipDigits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let digit = peek, isDigit(digit) else { throw failure("an exponent must have digits") }
            skipDigits()
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let number = Double(text), number.isFinite else {
            index = start
            throw failure("the number \(text) is too large")
        }
        return number
    }

    private mutating func string() throws(Failure) -> String {
        index += 1  // the opening quote
        var scalars = String.UnicodeScalarView()
        var runStart = index
        func flushRun(_ end: Int) throws(Failure) {
            guard runStart < end else { return }
            guard let text = String(validating: bytes[runStart..<end], as: UTF8.self) else {
                index = runStart
                throw failure("a string holds bytes that are not valid UTF-8")
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard index < bytes.count else { throw failure("a string is not closed with '\"'") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                try flushRun(index)
                index += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                try flushRun(index)
                scalars.append(try escape())
                runStart = index
            case 0..<0x20:
                throw failure("a string holds a control character (byte 0x\(String(byte, radix: 16))); escape it")
            default:
                index += 1
            }
        }
    }

    /// One escape after a backslash, `index` on the backslash.
    private mutating func escape() throws(Failure) -> Unicode.Scalar {
        index += 1
        guard let byte = peek else { throw failure("a string is not closed with '\"'") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try hex4()
            if (0xD800..<0xDC00).contains(high) {
                guard peek == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw failure("a \\u escape of a high surrogate must be followed by its low surrogate")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw failure("a high surrogate is followed by no low surrogate") }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(high) else { throw failure("a \\u escape names a lone low surrogate") }
            return scalar
        default:
            index -= 1
            throw failure("'\\\(Character(Unicode.Scalar(byte)))' is not a JSON escape")
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek, let digit = byte.hexDigitValue else { throw failure("a \\u escape needs four hex digits") }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let byte = peek, isDigit(byte) { index += 1 }
    }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    /// The byte at `index` as an error quotes it.
    private var found: String {
        guard let byte = peek else { return "the end of the text" }
        if byte > 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    private func failure(_ problem: String) -> Failure {
        var line = 1
        var lineStart = 0
        for position in 0..<min(index, bytes.count) where bytes[position] == 0x0A {
            line += 1
            lineStart = position + 1
        }
        return Failure(problem: problem, offset: index, line: line, column: index - lineStart + 1)
    }
}

extension String {
    /// A key as an error quotes it: at most 100 characters, controls escaped.
    fileprivate var printableKey: String {
        let shown = unicodeScalars.prefix(100).map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
        return shown.joined() + (unicodeScalars.count > 100 ? "..." : "")
    }
}
