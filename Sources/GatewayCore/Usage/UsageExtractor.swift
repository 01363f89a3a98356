/// Finds the token usage in a captured answer: one JSON document (or a JSON array of
/// them, as Google's non-SSE streams are), or a stream of SSE `data:` lines or NDJSON lines.
///
/// Runs off the request path, in the log writer, over the capped copy of the answer.
public enum UsageExtractor {
    /// The usage the answer reports, folded in order; nil fields where it says nothing.
    public static func usage(in body: [UInt8], contentType: String?, parser: any UsageParser) -> TokenUsage {
        var usage = TokenUsage()
        guard !body.isEmpty else { return usage }
        if isStream(body: body, contentType: contentType) {
            for line in lines(of: body) where mayCarryUsage(line) {
                fold(json: line, parser: parser, into: &usage)
            }
        } else {
            fold(json: body[...], parser: parser, into: &usage)
        }
        return usage
    }

    /// The model named by a JSON request body's top-level `model` field.
    public static func model(inRequestBody body: [UInt8]) -> String? {
        guard let value = JSONTopLevel.values(in: body[...], keys: ["model"])?.first?.value else { return nil }
        return UntypedJSON.parse(value) as? String
    }

    /// Whether a JSON request body asks for a streamed answer (`"stream": true`).
    static func isStream(body: [UInt8], contentType: String?) -> Bool {
        if let contentType = contentType?.lowercased(),
            contentType.containsBytes("event-stream") || contentType.containsBytes("ndjson")
                || contentType.containsBytes("stream+json")
        {
            return true
        }
        guard let first = body.first(where: { !$0.isJSONWhitespace }) else { return false }
        return first == UInt8(ascii: "d") || first == UInt8(ascii: "e") || first == UInt8(ascii: ":")
    }

    private static func fold(json: ArraySlice<UInt8>, parser: any UsageParser, into usage: inout TokenUsage) {
        // An object: only the keys the parser reads are parsed (usually one small object).
        if let values = JSONTopLevel.values(in: json, keys: parser.keys) {
            guard !values.isEmpty else { return }
            var object: [String: Any] = [:]
            for (key, value) in values {
                if let parsed = UntypedJSON.parse(value) { object[key] = parsed }
            }
            parser.fold(object, into: &usage)
            return
        }
        switch UntypedJSON.parse(json) {
        case let object as [String: Any]:
            parser.fold(object, into: &usage)
        case let array as [Any]:
            for case let object as [String: Any] in array { parser.fold(object, into: &usage) }
        default:
            return
        }
    }

    /// The JSON payload of each line: SSE `data:` prefixes removed, other SSE fields and
    /// `[DONE]` skipped.
    static func lines(of body: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = body.startIndex
        while start < body.endIndex {
            let end = body[start...].firstIndex(of: UInt8(ascii: "\n")) ?? body.endIndex
            var line = body[start..<end]
            start = end + 1
            while let last = line.last, last.isJSONWhitespace { line = line.dropLast() }
            while let first = line.first, first.isJSONWhitespace { line = line.dropFirst() }
            if line.starts(with: Array("data:".utf8)) {
                line = line.dropFirst(5)
                while let first = line.first, first.isJSONWhitespace { line = line.dropFirst() }
            }
            guard let first = line.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else { continue }
            result.append(line)
        }
        return result
    }

    /// A cheap filter so that only events mentioning usage are parsed.
    private static func mayCarryUsage(_ line: ArraySlice<UInt8>) -> Bool {
        // "sage": usage, usageMetadata.
        ByteSearch.contains(line, "sage") || ByteSearch.contains(line, "billed_units")
    }
}
