import AIGateway
import Foundation

/// Reads and checks `guardrails` and `dlp` from a gateway's settings body (SPEC section 11, the
/// shapes of Cloudflare's client, plus aigw's guard models and custom profiles); every problem
/// is a 400 naming the field.
public enum ProtectionInput {
    /// The categories a guard reports: Llama Guard's S1-S13, and P1, prompt injection.
    public static let categories: [String] = (1...13).map { "S\($0)" } + ["P1"]

    /// `guardrails`, or nil for `null`.
    public static func guardrails(_ value: JSONValue) throws -> GuardrailSettings? {
        if value == .null { return nil }
        guard let members = value.objectValue else {
            throw ManagementError.badInput("guardrails", "must be an object {\"prompt\": {...}, \"response\": {...}} or null")
        }
        var settings = GuardrailSettings()
        for (key, member) in members.sorted(by: { $0.key < $1.key }) {
            let field = "guardrails.\(key)"
            switch key {
            case "prompt": settings.prompt = try actions(member, field: field)
            case "response": settings.response = try actions(member, field: field)
            case "model": settings.model = try guardModel(member, field: field)
            case "prompt_guard_model": settings.promptGuardModel = try guardModel(member, field: field)
            default: throw ManagementError.badInput(field, "unknown field (prompt, response, model, prompt_guard_model)")
            }
        }
        return settings
    }

    private static func actions(_ value: JSONValue, field: String) throws -> [String: String] {
        guard let members = value.objectValue else { throw ManagementError.badInput(field, "must be an object of categories, e.g. {\"S1\": \"BLOCK\"}") }
        var actions: [String: String] = [:]
        for (category, action) in members {
            let upper = category.uppercased()
            guard categories.contains(upper) else {
                throw ManagementError.badInput("\(field).\(category)", "unknown category (S1 to S13, P1)")
            }
            switch action.stringValue {
            case "FLAG", "BLOCK": actions[upper] = action.stringValue
            case "IGNORE", nil where action == .null: continue
            default: throw ManagementError.badInput("\(field).\(category)", "must be \"FLAG\" or \"BLOCK\"")
            }
        }
        return actions
    }

    private static func guardModel(_ value: JSONValue, field: String) throws -> GuardModel? {
        if value == .null { return nil }
        guard let members = value.objectValue, let provider = members["provider"]?.stringValue, !provider.isEmpty,
            let model = members["model"]?.stringValue, !model.isEmpty
        else {
            throw ManagementError.badInput(field, "must be {\"provider\": ..., \"model\": ..., \"timeout_ms\": ...}")
        }
        if let extra = members.keys.sorted().first(where: { !["provider", "model", "timeout_ms"].contains($0) }) {
            throw ManagementError.badInput("\(field).\(extra)", "unknown field (provider, model, timeout_ms)")
        }
        var guardModel = GuardModel(provider: provider, model: model)
        if let timeout = members["timeout_ms"] {
            guard let number = timeout.numberValue, number.rounded() == number, (1...120_000).contains(number) else {
                throw ManagementError.badInput("\(field).timeout_ms", "must be a whole number of milliseconds, 1 to 120000")
            }
            guardModel.timeoutMs = Int(number)
        }
        return guardModel
    }

    /// `dlp`, or nil for `null`: Cloudflare's short form (`{action, enabled, profiles}`) reads as
    /// one policy `default` checking both directions.
    public static func dlp(_ value: JSONValue) throws -> DLPSettings? {
        if value == .null { return nil }
        guard let members = value.objectValue else { throw ManagementError.badInput("dlp", "must be an object or null") }
        var settings = DLPSettings()
        var custom: [String] = []
        if let profiles = members["custom_profiles"] {
            guard let items = profiles.arrayValue, items.count <= 20 else {
                throw ManagementError.badInput("dlp.custom_profiles", "must be an array of at most 20 {\"id\", \"pattern\"}")
            }
            for (index, item) in items.enumerated() {
                let field = "dlp.custom_profiles[\(index)]"
                guard let object = item.objectValue, let id = object["id"]?.stringValue, isID(id), let pattern = object["pattern"]?.stringValue,
                    object.count == 2
                else {
                    throw ManagementError.badInput(field, "must be {\"id\": letters, digits, '-' or '_', \"pattern\": a regular expression}")
                }
                guard DLPProfile.builtIn[id] == nil, !custom.contains(id) else {
                    throw ManagementError.badInput("\(field).id", "'\(id)' is the id of another profile")
                }
                do {
                    _ = try DLPPattern(pattern)
                } catch {
                    throw ManagementError.badInput("\(field).pattern", "\(error)")
                }
                custom.append(id)
                settings.customProfiles.append(DLPCustomProfile(id: id, pattern: pattern))
            }
        }
        for (key, member) in members.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "enabled":
                guard let flag = member.boolValue else { throw ManagementError.badInput("dlp.enabled", "must be true or false") }
                settings.enabled = flag
            case "custom_profiles": continue
            case "policies":
                guard let items = member.arrayValue, items.count <= 20 else {
                    throw ManagementError.badInput("dlp.policies", "must be an array of at most 20 policies")
                }
                settings.policies = try items.enumerated().map { index, item in
                    try policy(item, field: "dlp.policies[\(index)]", custom: custom)
                }
            case "action", "profiles":
                continue  // the short form, read below
            default:
                throw ManagementError.badInput("dlp.\(key)", "unknown field (enabled, policies, or action and profiles; custom_profiles)")
            }
        }
        if members["action"] != nil || members["profiles"] != nil {
            guard members["policies"] == nil else { throw ManagementError.badInput("dlp", "give policies, or action and profiles, not both") }
            var short = members
            short["id"] = "default"
            short["check"] = ["REQUEST", "RESPONSE"]
            short["enabled"] = true
            settings.policies = [try policy(.object(short.filter { ["id", "check", "enabled", "action", "profiles"].contains($0.key) }), field: "dlp", custom: custom)]
        }
        var seen: Set<String> = []
        for (index, policy) in settings.policies.enumerated() where !seen.insert(policy.id).inserted {
            throw ManagementError.badInput("dlp.policies[\(index)].id", "'\(policy.id)' is the id of an earlier policy")
        }
        return settings
    }

    private static func policy(_ value: JSONValue, field: String, custom: [String]) throws -> DLPPolicy {
        guard let members = value.objectValue else { throw ManagementError.badInput(field, "must be an object") }
        if let extra = members.keys.sorted().first(where: { !["id", "enabled", "action", "check", "profiles"].contains($0) }) {
            throw ManagementError.badInput("\(field).\(extra)", "unknown field of a policy (id, enabled, action, check, profiles)")
        }
        guard let id = members["id"]?.stringValue, isID(id) else { throw ManagementError.badInput("\(field).id", "must be 1 to 64 letters, digits, '-' or '_'") }
        guard let action = members["action"]?.stringValue, ["FLAG", "BLOCK", "REDACT"].contains(action) else {
            throw ManagementError.badInput("\(field).action", "must be \"FLAG\", \"BLOCK\" or \"REDACT\" (aigw's)")
        }
        let check = try (members["check"]?.arrayValue ?? []).map { item in
            guard let text = item.stringValue, text == "REQUEST" || text == "RESPONSE" else {
                throw ManagementError.badInput("\(field).check", "holds \"REQUEST\" and/or \"RESPONSE\"")
            }
            return text
        }
        guard !check.isEmpty else { throw ManagementError.badInput("\(field).check", "is required: [\"REQUEST\"], [\"RESPONSE\"] or both") }
        guard let items = members["profiles"]?.arrayValue, !items.isEmpty else {
            throw ManagementError.badInput("\(field).profiles", "is required: built-in profiles (\(DLPProfile.builtIn.keys.sorted().joined(separator: ", "))) or custom ones")
        }
        let profiles = try items.enumerated().map { index, item in
            guard let name = item.stringValue, DLPProfile.builtIn[name] != nil || custom.contains(name) else {
                throw ManagementError.badInput(
                    "\(field).profiles[\(index)]",
                    "unknown profile (built in: \(DLPProfile.builtIn.keys.sorted().joined(separator: ", ")); or one of custom_profiles)")
            }
            return name
        }
        let enabled = members["enabled"].map { $0.boolValue ?? true } ?? true
        return DLPPolicy(id: id, enabled: enabled, action: action, check: check, profiles: profiles)
    }

    private static func isID(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { DLPPattern.ByteSet.word.contains($0) || $0 == UInt8(ascii: "-") }
    }
}
