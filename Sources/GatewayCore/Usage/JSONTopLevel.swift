/// Finds the values of chosen top-level keys in a JSON object without parsing the rest:
/// strings and nested values are skipped byte by byte. The log writer reads token usage
/// and the model name this way; parsing whole answers with `JSONSerialization` was the
/// writer's largest cost.
enum JSONTopLevel {
    /// The raw bytes of the values of `keys` in the object `json`, in document order;
    /// nil when `json` is not an object or is malformed before its end.
    static func values(in json: ArraySlice<UInt8>, keys: Set<String>) -> [(key: String, value: ArraySlice<UInt8>)]? {
        var index = json.startIndex
        skipWhitespace(json, &index)
        guard index < json.endIndex, json[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        var found: [(key: String, value: ArraySlice<UInt8>)] = []
        while true {
            skipWhitespace(json, &index)
            guard index < json.endIndex else { return nil }
            if json[index] == UInt8(ascii: "}") { return found }
            guard json[index] == UInt8(ascii: "\"") else { return nil }
            let keyStart = index + 1
            guard skipString(json, &index) else { return nil }
            let key = json[keyStart..<(index - 1)]
            skipWhitespace(json, &index)
            guard index < json.endIndex, json[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipWhitespace(json, &index)
            let valueStart = index
            guard skipValue(json, &index) else { return nil }
            if let name = keys.first(where: { key.elementsEqual($0.utf8) }) {
                found.append((name, json[valueStart..<index]))
            }
            skipWhitespace(json, &index)
            guard index < json.endIndex else { return nil }
            if json[index] == UInt8(ascii: ",") {
                index += 1
            } else if json[index] != UInt8(ascii: "}") {
                return nil
            }
        }
    }

    private static func skipWhitespace(_ json: ArraySlice<UInt8>, _ index: inout Int) {
        while index < json.endIndex, json[index].isJSONWhitespace { index += 1 }
    }

    /// From an opening quote to just past the closing one.
    private static func skipString(_ json: ArraySlice<UInt8>, _ index: inout Int) -> Bool {
        index += 1
        while index < json.endIndex {
            switch json[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""):
                index += 1
                return true
            default: index += 1
            }
        }
        return false
    }

    /// Past one value of any kind: string, object, array, or a bare literal.
    private static func skipValue(_ json: ArraySlice<UInt8>, _ index: inout Int) -> Bool {
        guard index < json.endIndex else { return false }
        switch json[index] {
        case UInt8(ascii: "\""):
            return skipString(json, &index)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < json.endIndex {
                switch json[index] {
                case UInt8(ascii: "\""):
                    guard skipString(json, &index) else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        index += 1
                        return true
                    }
                default: break
                }
                index += 1
            }
            return false
        default:
            let start = index
            while index < json.endIndex {
                switch json[index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: " "), UInt8(ascii: "\n"),
                    UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                    return index > start
                default: index += 1
                }
            }
            return index > start
        }
    }
}

extension UInt8 {
    /// Whether this byte is whitespace between JSON tokens: space, tab, line feed, carriage return.
    var isJSONWhitespace: Bool {
        self == UInt8(ascii: " ") || self == UInt8(ascii: "\t") || self == UInt8(ascii: "\n") || self == UInt8(ascii: "\r")
    }
}
