import Foundation

/// A change to a log's `feedback`, `score` and `metadata`: the body of
/// `PATCH /gateways/{id}/logs/{log_id}` and the argument of ``AIGatewayHandle/patchLog(_:_:)``.
///
/// Each field is left alone, cleared, or set:
///
/// ```swift
/// LogPatch(feedback: 1, score: 100, metadata: ["user": "123"])   // set all three
/// LogPatch(score: nil)                                            // clear the score only
/// ```
public struct LogPatch: Sendable, Hashable {
    /// -1 (thumbs down) or 1 (thumbs up).
    public var feedback: PatchField<Int>
    /// 0 to 100.
    public var score: PatchField<Int>
    /// At most 5 entries of strings, numbers, booleans or null; replaces the whole metadata.
    public var metadata: PatchField<LogMetadata>

    /// A patch changing the fields given and leaving the others alone.
    public init(
        feedback: PatchField<Int> = .unchanged, score: PatchField<Int> = .unchanged,
        metadata: PatchField<LogMetadata> = .unchanged
    ) {
        self.feedback = feedback
        self.score = score
        self.metadata = metadata
    }

    /// Whether the patch changes nothing.
    public var isEmpty: Bool { feedback == .unchanged && score == .unchanged && metadata == .unchanged }

    /// The JSON body: only the fields that change, `null` for those cleared.
    public func jsonBody() -> Data {
        var members: [String: JSONValue] = [:]
        if let change = feedback.jsonChange({ .number(Double($0)) }) { members["feedback"] = change }
        if let change = score.jsonChange({ .number(Double($0)) }) { members["score"] = change }
        if let change = metadata.jsonChange({ metadata in
            // Round-trip through Codable so numbers keep MetadataValue's own encoding.
            (try? JSONValue(json: JSONEncoder().encode(metadata))) ?? .null
        }) {
            members["metadata"] = change
        }
        return JSONValue.object(members).jsonData()
    }
}

/// One field of a ``LogPatch``: left alone, cleared (`null` on the wire), or set.
public enum PatchField<Value: Sendable & Hashable>: Sendable, Hashable {
    case unchanged
    case cleared
    case set(Value)

    /// The wire value for a change, or nil when the field is left alone.
    func jsonChange(_ encode: (Value) -> JSONValue) -> JSONValue? {
        switch self {
        case .unchanged: nil
        case .cleared: .null
        case .set(let value): encode(value)
        }
    }
}

extension PatchField: ExpressibleByNilLiteral {
    /// `nil` clears the field.
    public init(nilLiteral: ()) { self = .cleared }
}

extension PatchField: ExpressibleByIntegerLiteral where Value == Int {
    public init(integerLiteral value: Int) { self = .set(value) }
}

extension PatchField: ExpressibleByDictionaryLiteral where Value == LogMetadata {
    public init(dictionaryLiteral elements: (String, MetadataValue)...) {
        self = .set(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
