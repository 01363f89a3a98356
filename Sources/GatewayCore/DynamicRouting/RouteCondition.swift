import AIGateway
import Foundation
import HTTPTypes

/// A `conditional` element's condition (SPEC section 11), in the MongoDB-like form Cloudflare
/// writes: `{"metadata.plan": {"$eq": "free"}}`, `{"$or": [{...}, {...}]}`, a bare value for
/// `$eq`, several fields in one object all holding. Fields are `metadata.KEY`, `headers.NAME`
/// and `body.PATH` (a dotted path into the JSON body; a field without one of the three
/// prefixes is a body field too, `{"stream": true}`).
public indirect enum RouteCondition: Sendable, Equatable {
    case all([RouteCondition])
    case any([RouteCondition])
    case compare(RouteField, RouteComparison, JSONValue)

    /// Reads a condition; `field` names where it stands, for errors.
    public static func parse(_ value: JSONValue, field: String) throws(ManagementError) -> RouteCondition {
        guard let members = value.objectValue else {
            throw .badInput(field, "a condition is an object, e.g. {\"metadata.plan\": {\"$eq\": \"free\"}}")
        }
        var parts: [RouteCondition] = []
        for (key, member) in members.sorted(by: { $0.key < $1.key }) {
            let path = "\(field).\(key)"
            switch key {
            case "$and", "$or":
                guard let items = member.arrayValue, !items.isEmpty else { throw .badInput(path, "must be a non-empty array of conditions") }
                var inner: [RouteCondition] = []
                for (index, item) in items.enumerated() { inner.append(try parse(item, field: "\(path)[\(index)]")) }
                parts.append(key == "$and" ? .all(inner) : .any(inner))
            default:
                if key.hasPrefix("$") { throw .badInput(path, "unknown operator (use $and or $or here, or a field name)") }
                let target = try RouteField.parse(key, field: path)
                if let operators = member.objectValue, operators.keys.contains(where: { $0.hasPrefix("$") }) {
                    for (name, operand) in operators.sorted(by: { $0.key < $1.key }) {
                        guard let comparison = RouteComparison(rawValue: name) else {
                            throw .badInput("\(path).\(name)", "unknown operator (use $eq $ne $in $nin $gt $gte $lt $lte)")
                        }
                        if comparison == .in || comparison == .notIn, operand.arrayValue == nil {
                            throw .badInput("\(path).\(name)", "needs an array of values")
                        }
                        parts.append(.compare(target, comparison, operand))
                    }
                } else {
                    parts.append(.compare(target, .equals, member))
                }
            }
        }
        return parts.count == 1 ? parts[0] : .all(parts)
    }

    /// Whether the condition holds for a request.
    public func holds(in request: RouteRequest) -> Bool {
        switch self {
        case .all(let parts): parts.allSatisfy { $0.holds(in: request) }
        case .any(let parts): parts.contains { $0.holds(in: request) }
        case .compare(let field, let comparison, let operand): comparison.holds(request.value(of: field), operand)
        }
    }
}

/// Where a condition (or a rate limit's key, or a split's key) reads a value.
public enum RouteField: Sendable, Equatable, CustomStringConvertible {
    case metadata(String)
    case header(String)
    case body([String])

    static func parse(_ text: String, field: String) throws(ManagementError) -> RouteField {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !text.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else {
            throw .badInput(field, "'\(text)' is not a field (metadata.KEY, headers.NAME or body.PATH)")
        }
        switch parts[0] {
        case "metadata" where parts.count == 2: return .metadata(parts[1])
        case "headers" where parts.count == 2: return .header(parts[1].lowercased())
        case "body" where parts.count >= 2: return .body(Array(parts.dropFirst()))
        case "metadata", "headers", "body": throw .badInput(field, "'\(text)' is not a field (metadata.KEY, headers.NAME or body.PATH)")
        default: return .body(parts)
        }
    }

    public var description: String {
        switch self {
        case .metadata(let key): "metadata.\(key)"
        case .header(let name): "headers.\(name)"
        case .body(let path): "body." + path.joined(separator: ".")
        }
    }
}

/// The operators of a condition.
public enum RouteComparison: String, Sendable, Equatable {
    case equals = "$eq", notEquals = "$ne", `in` = "$in", notIn = "$nin"
    case greater = "$gt", atLeast = "$gte", less = "$lt", atMost = "$lte"

    /// `value` (nil when the request lacks the field) against the operand.
    func holds(_ value: JSONValue?, _ operand: JSONValue) -> Bool {
        switch self {
        case .equals: return value.map { Self.same($0, operand) } ?? (operand == .null)
        case .notEquals: return !(value.map { Self.same($0, operand) } ?? (operand == .null))
        case .in: return value.map { value in operand.arrayValue?.contains { Self.same(value, $0) } ?? false } ?? false
        case .notIn: return !(value.map { value in operand.arrayValue?.contains { Self.same(value, $0) } ?? false } ?? false)
        case .greater, .atLeast, .less, .atMost:
            guard let value, let order = Self.order(value, operand) else { return false }
            switch self {
            case .greater: return order > 0
            case .atLeast: return order >= 0
            case .less: return order < 0
            default: return order <= 0
            }
        }
    }

    /// Equal as JSON, a number also equal to the same number written as text (metadata and
    /// headers are often text).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if a == b { return true }
        if let x = a.numberValue ?? a.stringValue.flatMap(Double.init), let y = b.numberValue ?? b.stringValue.flatMap(Double.init),
            a.numberValue != nil || b.numberValue != nil
        {
            return x == y
        }
        return false
    }

    /// -1, 0 or 1 for two numbers (or numeric texts), or two texts; nil when they do not compare.
    static func order(_ a: JSONValue, _ b: JSONValue) -> Int? {
        if let x = a.numberValue ?? a.stringValue.flatMap(Double.init), let y = b.numberValue ?? b.stringValue.flatMap(Double.init) {
            return x < y ? -1 : (x > y ? 1 : 0)
        }
        if let x = a.stringValue, let y = b.stringValue { return x < y ? -1 : (x > y ? 1 : 0) }
        return nil
    }
}

/// What a route reads of a request: its metadata, headers and JSON body.
public struct RouteRequest: Sendable {
    public var metadata: LogMetadata?
    public var headers: HTTPFields
    public var body: [String: JSONValue]

    public init(metadata: LogMetadata?, headers: HTTPFields, body: [String: JSONValue]) {
        self.metadata = metadata
        self.headers = headers
        self.body = body
    }

    /// The field's value, or nil when the request lacks it.
    public func value(of field: RouteField) -> JSONValue? {
        switch field {
        case .metadata(let key):
            switch metadata?[key] {
            case .string(let text): return .string(text)
            case .number(let number): return .number(number)
            case .bool(let flag): return .bool(flag)
            case .null, nil: return nil
            }
        case .header(let name):
            return HTTPField.Name(name).flatMap { headers[$0] }.map(JSONValue.string)
        case .body(let path):
            var current: JSONValue = .object(body)
            for part in path {
                if let object = current.objectValue, let next = object[part] {
                    current = next
                } else if let array = current.arrayValue, let index = Int(part), array.indices.contains(index) {
                    current = array[index]
                } else {
                    return nil
                }
            }
            return current
        }
    }

    /// The value as text, for keys (a rate limit's partition, a split's bucket).
    public func text(of field: RouteField) -> String? {
        switch value(of: field) {
        case .string(let text): text
        case .number(let number): number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .null, nil: nil
        default: nil
        }
    }
}
