import AIGateway
import Crypto
import Foundation

/// Reads and checks `spend_limits` from a gateway's settings body (SPEC section 11, the
/// `spend_limits` type of Cloudflare's client): every problem is a 400 naming the field, as
/// `spend_limits.rules[2].window`.
public enum SpendLimitsInput {
    /// The longest window: a year.
    public static let maximumWindowSeconds = 366 * 86_400
    /// The largest budget, in USD.
    public static let maximumLimit = 1e12

    /// The limits `value` describes, or nil for `null`.
    public static func parse(_ value: JSONValue) throws -> SpendLimits? {
        let field = "spend_limits"
        if value == .null { return nil }
        guard let members = value.objectValue else {
            throw ManagementError.badInput(field, "must be an object {\"enabled\": true, \"rules\": [...]} or null")
        }
        var limits = SpendLimits()
        for (key, member) in members.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "enabled":
                guard let flag = member.boolValue else { throw ManagementError.badInput("\(field).enabled", "must be true or false") }
                limits.enabled = flag
            case "rules":
                guard let items = member.arrayValue else { throw ManagementError.badInput("\(field).rules", "must be an array") }
                guard items.count <= SpendLimits.maximumRules else {
                    throw ManagementError.badInput(
                        "\(field).rules", "has \(items.count) rules; a gateway may have at most \(SpendLimits.maximumRules)")
                }
                limits.rules = try items.enumerated().map { try rule($1, field: "\(field).rules[\($0)]") }
            default:
                throw ManagementError.badInput("\(field).\(key)", "unknown field (enabled, rules)")
            }
        }
        var seen: Set<String> = []
        for (index, rule) in limits.rules.enumerated() where !seen.insert(rule.id).inserted {
            throw ManagementError.badInput("\(field).rules[\(index)].id", "'\(rule.id)' is the id of an earlier rule")
        }
        return limits
    }

    /// One rule.
    static func rule(_ value: JSONValue, field: String) throws -> SpendLimitRule {
        guard let members = value.objectValue else { throw ManagementError.badInput(field, "must be an object") }
        for required in ["limit", "window"] where members[required] == nil {
            throw ManagementError.badInput("\(field).\(required)", "is required")
        }
        var rule = SpendLimitRule(id: "", limit: 0, window: 0)
        var givenID: String?
        for (key, member) in members.sorted(by: { $0.key < $1.key }) {
            let path = "\(field).\(key)"
            switch key {
            case "id":
                guard let text = member.stringValue, isRuleID(text) else {
                    throw ManagementError.badInput(path, "must be 1 to 64 letters, digits, '-', '_' or '.'")
                }
                givenID = text
            case "enabled":
                guard let flag = member.boolValue else { throw ManagementError.badInput(path, "must be true or false") }
                rule.enabled = flag
            case "limit":
                guard let number = member.numberValue, number.isFinite, number > 0, number <= maximumLimit else {
                    throw ManagementError.badInput(path, "must be a number of USD more than 0 (at most \(Int(maximumLimit)))")
                }
                rule.limit = number
            case "limitType":
                guard member.stringValue == "cost" else { throw ManagementError.badInput(path, "must be \"cost\"") }
            case "window":
                guard let number = member.numberValue, number.rounded() == number, number >= 1,
                    number <= Double(maximumWindowSeconds)
                else {
                    throw ManagementError.badInput(path, "must be a whole number of seconds, 1 to \(maximumWindowSeconds)")
                }
                rule.window = Int(number)
            case "technique":
                guard let text = member.stringValue, ["fixed", "sliding"].contains(text) else {
                    throw ManagementError.badInput(path, "must be \"fixed\" or \"sliding\"")
                }
                rule.technique = text
            case "provider":
                rule.provider = try valueFilter(member, field: path)
            case "model":
                rule.model = try valueFilter(member, field: path)
            case "metadata":
                rule.metadata = try metadata(member, field: path)
            default:
                throw ManagementError.badInput(
                    path, "unknown field of a spend rule (id, enabled, limit, limitType, window, technique, provider, model, metadata)")
            }
        }
        rule.id = givenID ?? derivedID(rule)
        return rule
    }

    /// `{"mode": "filter", "values": [...]}` with at least one value.
    static func valueFilter(_ value: JSONValue, field: String) throws -> SpendValueFilter {
        guard let members = value.objectValue, members["mode"]?.stringValue == "filter" else {
            throw ManagementError.badInput(field, "must be {\"mode\": \"filter\", \"values\": [...]}")
        }
        if let extra = members.keys.sorted().first(where: { $0 != "mode" && $0 != "values" }) {
            throw ManagementError.badInput("\(field).\(extra)", "unknown field (mode, values)")
        }
        return SpendValueFilter(values: try values(members["values"], field: "\(field).values"))
    }

    /// Metadata keys, each `partition` or a `filter` with values.
    static func metadata(_ value: JSONValue, field: String) throws -> [String: SpendMetadataScope] {
        guard let members = value.objectValue else { throw ManagementError.badInput(field, "must be an object of metadata keys") }
        var scopes: [String: SpendMetadataScope] = [:]
        for (key, scope) in members.sorted(by: { $0.key < $1.key }) {
            let path = "\(field).\(key)"
            guard !key.isEmpty, key.utf8.count <= 128 else { throw ManagementError.badInput(path, "a metadata key is 1 to 128 bytes") }
            guard let parts = scope.objectValue else {
                throw ManagementError.badInput(path, "must be {\"mode\": \"partition\"} or {\"mode\": \"filter\", \"values\": [...]}")
            }
            switch parts["mode"]?.stringValue {
            case "partition" where parts.count == 1:
                scopes[key] = .partition
            case "filter" where Set(parts.keys).isSubset(of: ["mode", "values"]):
                scopes[key] = .filter(try values(parts["values"], field: "\(path).values"))
            default:
                throw ManagementError.badInput(path, "must be {\"mode\": \"partition\"} or {\"mode\": \"filter\", \"values\": [...]}")
            }
        }
        return scopes
    }

    private static func values(_ value: JSONValue?, field: String) throws -> [String] {
        guard let items = value?.arrayValue, !items.isEmpty, items.count <= 100 else {
            throw ManagementError.badInput(field, "must be an array of 1 to 100 strings")
        }
        return try items.enumerated().map { index, item in
            guard let text = item.stringValue, !text.isEmpty, text.utf8.count <= 256 else {
                throw ManagementError.badInput("\(field)[\(index)]", "must be a string of 1 to 256 bytes")
            }
            return text
        }
    }

    static func isRuleID(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// The id of a rule sent without one: made from what the rule selects and its window, so
    /// that sending the same rule again (with another limit, say) keeps its spend so far.
    static func derivedID(_ rule: SpendLimitRule) -> String {
        var scope = "\(rule.window) \(rule.technique)"
        scope += " p:" + (rule.provider?.values.sorted().joined(separator: ",") ?? "*")
        scope += " m:" + (rule.model?.values.sorted().joined(separator: ",") ?? "*")
        for (key, value) in (rule.metadata ?? [:]).sorted(by: { $0.key < $1.key }) {
            switch value {
            case .partition: scope += " \(key):partition"
            case .filter(let values): scope += " \(key):" + values.sorted().joined(separator: ",")
            }
        }
        return "rule-" + SHA256.hash(data: Data(scope.utf8)).prefix(6).hexString
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
