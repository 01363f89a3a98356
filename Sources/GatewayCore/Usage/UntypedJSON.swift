/// A small JSON reader for the log writer's usage parsers, and accessors over what it reads.
///
/// It reads the bytes ``JSONTopLevel`` slices out of an answer (usually one small `usage`
/// object) into Swift's own values: `[String: Any]`, `[Any]`, `String`, `Int` (a number
/// without fraction or exponent that fits), `Double`, `Bool`; `null` reads as absent (left
/// out of its object or array). Going through `JSONSerialization` instead, with its bridged
/// `NSDictionary` and `NSNumber`s, was the writer's largest cost after the slicing.
enum UntypedJSON {
    /// Nesting deeper than this is refused (a hostile answer cannot exhaust the stack).
    static let maximumDepth = 64

    /// The value `json` holds (one JSON value, whitespace around it allowed); nil when it is
    /// not exactly one well-formed value, or is `null`.
    static func parse(_ json: ArraySlice<UInt8>) -> Any? {
        var reader = Reader(bytes: json, index: json.startIndex)
        guard let value = reader.value(depth: 0) else { return nil }
        reader.skipWhitespace()
        guard reader.index == json.endIndex else { return nil }
        return value.value
    }

    /// A parsed value; `value` is nil for `null`.
    private struct Parsed {
        var value: Any?
    }

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var index: Int

        mutating func skipWhitespace() {
            while index < bytes.endIndex, bytes[index].isJSONWhitespace { index += 1 }
        }

        /// One value, or nil when malformed.
        mutating func value(depth: Int) -> Parsed? {
            skipWhitespace()
            guard index < bytes.endIndex, depth < UntypedJSON.maximumDepth else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"): return object(depth: depth).map { Parsed(value: $0) }
            case UInt8(ascii: "["): return array(depth: depth).map { Parsed(value: $0) }
            case UInt8(ascii: "\""): return string().map { Parsed(value: $0) }
            case UInt8(ascii: "t"): return literal("true") ? Parsed(value: true) : nil
            case UInt8(ascii: "f"): return literal("false") ? Parsed(value: false) : nil
            case UInt8(ascii: "n"): return literal("null") ? Parsed(value: nil) : nil
            default: return number().map { Parsed(value: $0) }
            }
        }

        mutating func object(depth: Int) -> [String: Any]? {
            index += 1  // {
            var object: [String: Any] = [:]
            skipWhitespace()
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return object
            }
            while true {
                skipWhitespace()
                guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipWhitespace()
                guard index < bytes.endIndex, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard let member = value(depth: depth + 1) else { return nil }
                if let present = member.value { object[key] = present }
                skipWhitespace()
                guard index < bytes.endIndex else { return nil }
                index += 1
                switch bytes[index - 1] {
                case UInt8(ascii: ","): continue
                case UInt8(ascii: "}"): return object
                default: return nil
                }
            }
        }

        mutating func array(depth: Int) -> [Any]? {
            index += 1  // [
            var array: [Any] = []
            skipWhitespace()
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return array
            }
            while true {
                guard let element = value(depth: depth + 1) else { return nil }
                if let present = element.value { array.append(present) }
                skipWhitespace()
                guard index < bytes.endIndex else { return nil }
                index += 1
                switch bytes[index - 1] {
                case UInt8(ascii: ","): continue
                case UInt8(ascii: "]"): return array
                default: return nil
                }
            }
        }

        /// A string from its opening quote; escapes decoded, `\u` surrogate pairs joined.
        mutating func string() -> String? {
            index += 1  // "
            let start = index
            // The common case: no escapes, so the bytes are the text.
            while index < bytes.endIndex, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
                guard bytes[index] >= 0x20 else { return nil }
                index += 1
            }
            guard index < bytes.endIndex else { return nil }
            if bytes[index] == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
            }
            var text = Array(bytes[start..<index])
            while index < bytes.endIndex {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: text, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.endIndex else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escape)
                    case UInt8(ascii: "b"): text.append(0x08)
                    case UInt8(ascii: "f"): text.append(0x0C)
                    case UInt8(ascii: "n"): text.append(0x0A)
                    case UInt8(ascii: "r"): text.append(0x0D)
                    case UInt8(ascii: "t"): text.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let scalar = unicodeEscape() else { return nil }
                        text.append(contentsOf: String(Character(scalar)).utf8)
                    default: return nil
                    }
                default:
                    guard byte >= 0x20 else { return nil }
                    text.append(byte)
                }
            }
            return nil
        }

        /// The scalar of a `\u` escape whose `\u` has been read (a surrogate pair takes two).
        mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let high = hex4() else { return nil }
            if (0xD800..<0xDC00).contains(high) {
                guard index + 1 < bytes.endIndex, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { return nil }
                index += 2
                guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            }
            return Unicode.Scalar(high)
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.endIndex else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                index += 1
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.endIndex else { return false }
            let matches = word.withUTF8Buffer { bytes[index..<(index + count)].elementsEqual($0) }
            if matches { index += count }
            return matches
        }

        /// A number as JSON writes them: an `Int` when it has no fraction or exponent and
        /// fits, else a `Double`.
        mutating func number() -> Any? {
            let start = index
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") { index += 1 }
            let integerStart = index
            let integerDigits = digits()
            guard integerDigits > 0, integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { return nil }
            var isInteger = true
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                guard digits() > 0 else { return nil }
            }
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard digits() > 0 else { return nil }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if isInteger, let integer = Int(text) { return integer }
            return Double(text)
        }

        mutating func digits() -> Int {
            let start = index
            while index < bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - start
        }
    }

    // MARK: - Accessors

    /// `value` as an object.
    static func object(_ value: Any?) -> [String: Any]? { value as? [String: Any] }

    /// `value` as a whole number (a finite `Double` is truncated).
    static func int(_ value: Any?) -> Int? {
        switch value {
        case let number as Int: return number
        case let number as Double: return number.isFinite && abs(number) < 9.2e18 ? Int(number) : nil
        default: return nil
        }
    }

    /// The object at `path` under `root`.
    static func object(_ root: [String: Any], _ path: String...) -> [String: Any]? {
        var current: [String: Any]? = root
        for key in path { current = object(current?[key]) }
        return current
    }
}
