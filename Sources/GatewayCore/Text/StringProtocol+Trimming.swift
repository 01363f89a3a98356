extension StringProtocol {
    /// The string without the spaces and tabs around it (HTTP's optional whitespace), as a
    /// slice: no copy, and no trip through Foundation's `NSString` (which
    /// `trimmingCharacters(in:)` takes on Linux, and which showed in the request path's profile).
    public var trimmingHTTPWhitespace: SubSequence {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" { start = index(after: start) }
        while end > start {
            let before = index(before: end)
            guard self[before] == " " || self[before] == "\t" else { break }
            end = before
        }
        return self[start..<end]
    }
}

/// A `Connection` header's options (RFC 9110 section 7.6.1): its comma-separated tokens,
/// lowercased, without the whitespace around them.
public func connectionOptions(_ value: String?) -> [String] {
    guard let value else { return [] }
    var options: [String] = []
    for part in value.split(separator: ",") {
        let token = part.trimmingHTTPWhitespace
        if !token.isEmpty { options.append(token.lowercased()) }
    }
    return options
}
