import AIGateway
import Foundation

/// Reads and checks a gateway's settings from a management API body (create or update).
///
/// Fields present replace the current values, fields absent keep them (so an update may send
/// only what changes). `null` resets a setting to "off". Cloudflare settings aigw does not
/// implement (`zdr`, `stripe`, ...) are accepted and ignored, so Cloudflare's clients
/// can send their full bodies; any other key is a 400 naming it.
public enum GatewaySettingsInput {
    /// Settings of Cloudflare's API that aigw accepts and does not act on.
    static let ignoredKeys: Set<String> = [
        "byok_only", "log_classification",
        "store_id", "stripe", "workers_ai_billing_mode", "zdr", "is_default", "created_at",
        "modified_at", "internal_id", "account_id", "account_tag",
    ]

    /// The most seconds a cache entry may live (30 days), as for `cf-aig-cache-ttl`.
    public static let maximumCacheTTL = 2_592_000

    /// Parses a JSON body into an object, or throws a 400 saying why it is not one.
    public static func object(_ body: Data) throws -> [String: JSONValue] {
        let json: JSONValue
        do {
            json = try JSONValue(json: body)
        } catch {
            throw ManagementError.badInput("body", "is not JSON (\(error)); send an object such as {\"id\": \"my-gateway\"}")
        }
        guard let members = json.objectValue else {
            throw ManagementError.badInput("body", "must be a JSON object, not \(json.kindDescription)")
        }
        return members
    }

    /// Applies `members` to `settings`, checking each value. `cipher` seals the credentials
    /// of `otel` exporters (without one, exporters with headers are refused).
    public static func apply(
        _ members: [String: JSONValue], to settings: inout GatewaySettings, cipher: ProviderKeyCipher? = nil
    ) throws {
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "id":
                guard value.stringValue == settings.id else {
                    throw ManagementError.badInput("id", "does not match the gateway being written ('\(settings.id)')")
                }
            case "cache_ttl":
                settings.cacheTTL = try integer(value, key, in: 0...maximumCacheTTL).flatMap { $0 == 0 ? nil : $0 }
            case "cache_invalidate_on_update":
                settings.cacheInvalidateOnUpdate = try bool(value, key) ?? false
            case "collect_logs":
                settings.collectLogs = try bool(value, key) ?? true
            case "authentication":
                settings.authentication = try bool(value, key) ?? false
            case "rate_limiting_interval":
                settings.rateLimitingInterval = try integer(value, key, in: 0...86_400).flatMap { $0 == 0 ? nil : $0 }
            case "rate_limiting_limit":
                settings.rateLimitingLimit = try integer(value, key, in: 0...1_000_000_000).flatMap { $0 == 0 ? nil : $0 }
            case "rate_limiting_technique":
                settings.rateLimitingTechnique = try choice(value, key, from: ["fixed", "sliding"]) ?? "fixed"
            case "log_management":
                settings.logManagement = try integer(value, key, in: 1...1_000_000_000)
            case "log_management_strategy":
                settings.logManagementStrategy = try choice(value, key, from: ["STOP_INSERTING", "DELETE_OLDEST"])
            case "log_retention_days":
                settings.logRetentionDays = try integer(value, key, in: 1...36_500)
            case "spend_limits":
                settings.spendLimits = try SpendLimitsInput.parse(value)
            case "guardrails":
                settings.guardrails = try ProtectionInput.guardrails(value)
            case "dlp":
                settings.dlp = try ProtectionInput.dlp(value)
            case "otel":
                settings.otel = try TelemetryInput.exporters(value, gatewayID: settings.id, previous: settings.otel, cipher: cipher)
            case "logpush":
                settings.logpush = try bool(value, key) ?? false
            case "logpush_public_key":
                settings.logpushPublicKey = try TelemetryInput.publicKey(value)
            case "retry_max_attempts":
                settings.retryMaxAttempts = try integer(value, key, in: 1...5)
            case "retry_delay":
                settings.retryDelay = try integer(value, key, in: 0...60_000)
            case "retry_backoff":
                settings.retryBackoff = try choice(value, key, from: ["constant", "linear", "exponential"])
            default:
                guard ignoredKeys.contains(key) else {
                    throw ManagementError.badInput(key, "unknown gateway setting (README, \"Management REST API\", lists them)")
                }
            }
        }
        if (settings.rateLimitingLimit == nil) != (settings.rateLimitingInterval == nil) {
            let missing = settings.rateLimitingLimit == nil ? "rate_limiting_limit" : "rate_limiting_interval"
            throw ManagementError.badInput(missing, "rate limiting needs both rate_limiting_limit and rate_limiting_interval")
        }
        if settings.logpush, settings.logpushPublicKey == nil {
            throw ManagementError.badInput("logpush", "needs logpush_public_key: the RSA public key (PEM) the logs are sealed for")
        }
    }

    private static func integer(_ value: JSONValue, _ key: String, in range: ClosedRange<Int>) throws -> Int? {
        if value == .null { return nil }
        guard let number = value.numberValue, number.rounded() == number, abs(number) < 1e15 else {
            throw ManagementError.badInput(key, "must be a whole number or null, not \(value.kindDescription)")
        }
        guard range.contains(Int(number)) else {
            throw ManagementError.badInput(key, "\(Int(number)) is out of range (\(range.lowerBound) to \(range.upperBound))")
        }
        return Int(number)
    }

    private static func bool(_ value: JSONValue, _ key: String) throws -> Bool? {
        if value == .null { return nil }
        guard let flag = value.boolValue else {
            throw ManagementError.badInput(key, "must be true or false, not \(value.kindDescription)")
        }
        return flag
    }

    private static func choice(_ value: JSONValue, _ key: String, from choices: [String]) throws -> String? {
        if value == .null { return nil }
        guard let text = value.stringValue, choices.contains(text) else {
            throw ManagementError.badInput(key, "must be one of \(choices.joined(separator: ", ")), or null")
        }
        return text
    }
}
