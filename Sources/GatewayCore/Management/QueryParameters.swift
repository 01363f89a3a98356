import AIGateway
/// The parameters of a URL query string, decoded (`%XX` and `+`), in their order, repeats kept.
public struct QueryParameters: Sendable, Equatable {
    /// Name and value pairs, in the order they appear.
    public var pairs: [(name: String, value: String)]

    /// Parameters already split and decoded.
    public init(pairs: [(name: String, value: String)]) {
        self.pairs = pairs
    }

    /// Splits and decodes a raw query string (without the `?`).
    public init(_ query: String?) {
        pairs = []
        guard let query, !query.isEmpty else { return }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(pieces[0])
            let value = pieces.count > 1 ? Self.decode(pieces[1]) : ""
            pairs.append((name, value))
        }
    }

    /// Every value given for `name`.
    public func values(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    /// The last value given for `name`.
    public func last(_ name: String) -> String? {
        pairs.last { $0.name == name }?.value
    }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    /// Percent-decoding with `+` as a space; a malformed escape is kept as written.
    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if iterator.count >= 2, let high = iterator[iterator.startIndex].hexDigitValue,
                    let low = iterator[iterator.startIndex + 1].hexDigitValue
                {
                    bytes.append(high << 4 | low)
                    iterator = iterator.dropFirst(2)
                } else {
                    bytes.append(byte)
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

}
