import Foundation

/// A gateway's guardrails (`guardrails`, SPEC section 11): per Llama Guard category (`S1` to
/// `S13`, and `P1`, prompt injection), `FLAG` or `BLOCK`, for prompts and for answers; and
/// (aigw's own) which model judges them.
public struct GuardrailSettings: Sendable, Hashable, Codable {
    /// Category → action, for prompts.
    public var prompt: [String: String]
    /// Category → action, for answers.
    public var response: [String: String]
    /// The model that classifies content (aigw's own; default Workers AI's Llama Guard).
    public var model: GuardModel?
    /// The model that judges prompt injection, `P1` (aigw's own; default Workers AI's prompt guard).
    public var promptGuardModel: GuardModel?

    /// Guardrails with these rules and models.
    public init(prompt: [String: String] = [:], response: [String: String] = [:], model: GuardModel? = nil, promptGuardModel: GuardModel? = nil) {
        self.prompt = prompt
        self.response = response
        self.model = model
        self.promptGuardModel = promptGuardModel
    }

    enum CodingKeys: String, CodingKey {
        case prompt, response, model
        case promptGuardModel = "prompt_guard_model"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        prompt = try container.decodeIfPresent([String: String].self, forKey: .prompt) ?? [:]
        response = try container.decodeIfPresent([String: String].self, forKey: .response) ?? [:]
        model = try container.decodeIfPresent(GuardModel.self, forKey: .model)
        promptGuardModel = try container.decodeIfPresent(GuardModel.self, forKey: .promptGuardModel)
    }
}

/// A model the gateway calls through one of its own providers to judge content.
public struct GuardModel: Sendable, Hashable, Codable {
    /// The provider slug the guard is called through.
    public var provider: String
    /// The model.
    public var model: String
    /// Milliseconds the guard may take before the check counts as not made.
    public var timeoutMs: Int

    /// A guard model.
    public init(provider: String, model: String, timeoutMs: Int = 5000) {
        self.provider = provider
        self.model = model
        self.timeoutMs = timeoutMs
    }

    enum CodingKeys: String, CodingKey {
        case provider, model
        case timeoutMs = "timeout_ms"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        provider = try container.decode(String.self, forKey: .provider)
        model = try container.decode(String.self, forKey: .model)
        timeoutMs = try container.decodeIfPresent(Int.self, forKey: .timeoutMs) ?? 5000
    }

    /// Workers AI's Llama Guard 3: the default classifier.
    public static let llamaGuard = GuardModel(provider: "workers-ai", model: "@cf/meta/llama-guard-3-8b")
    /// Workers AI's prompt guard: the default judge of prompt injection (`P1`).
    public static let promptGuard = GuardModel(provider: "workers-ai", model: "@cf/meta/llama-prompt-guard-2-86m")
}

/// A gateway's data loss prevention (`dlp`, SPEC section 11), in the policy form of
/// Cloudflare's API (its short form, one action and profiles, reads as one policy checking
/// both directions), plus aigw's custom profiles.
public struct DLPSettings: Sendable, Hashable, Codable {
    /// Whether the policies are applied.
    public var enabled: Bool
    /// The policies.
    public var policies: [DLPPolicy]
    /// Regular-expression profiles of this gateway (aigw's own), by id.
    public var customProfiles: [DLPCustomProfile]

    /// DLP settings.
    public init(enabled: Bool = true, policies: [DLPPolicy] = [], customProfiles: [DLPCustomProfile] = []) {
        self.enabled = enabled
        self.policies = policies
        self.customProfiles = customProfiles
    }

    enum CodingKeys: String, CodingKey {
        case enabled, policies
        case customProfiles = "custom_profiles"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        policies = try container.decodeIfPresent([DLPPolicy].self, forKey: .policies) ?? []
        customProfiles = try container.decodeIfPresent([DLPCustomProfile].self, forKey: .customProfiles) ?? []
    }
}

/// One DLP policy: the profiles it looks for, where (`REQUEST`, `RESPONSE`), and what it does
/// on a match: `FLAG`, `BLOCK`, or (aigw's own) `REDACT`.
public struct DLPPolicy: Sendable, Hashable, Codable {
    /// The policy's id (named in `cf-aig-dlp`).
    public var id: String
    /// Whether it applies.
    public var enabled: Bool
    /// `FLAG`, `BLOCK` or `REDACT`.
    public var action: String
    /// `REQUEST`, `RESPONSE`, or both.
    public var check: [String]
    /// The profiles it looks for: built-in ids or custom profiles' ids.
    public var profiles: [String]

    /// A policy.
    public init(id: String, enabled: Bool = true, action: String, check: [String], profiles: [String]) {
        self.id = id
        self.enabled = enabled
        self.action = action
        self.check = check
        self.profiles = profiles
    }
}

/// A custom DLP profile: a regular expression (the subset ``DLPPattern`` runs in linear time).
public struct DLPCustomProfile: Sendable, Hashable, Codable {
    /// The profile's id, which policies name.
    public var id: String
    /// Its regular expression.
    public var pattern: String

    /// A custom profile.
    public init(id: String, pattern: String) {
        self.id = id
        self.pattern = pattern
    }
}
