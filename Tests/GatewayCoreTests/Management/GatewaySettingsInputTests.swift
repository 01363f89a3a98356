import AIGateway
import Foundation
import GatewayCore
import Testing

@Suite("Gateway settings from API bodies: merged, checked, Cloudflare's extras tolerated")
struct GatewaySettingsInputTests {
    func apply(_ json: String, to settings: GatewaySettings = GatewaySettings(id: "g")) throws -> GatewaySettings {
        var settings = settings
        try GatewaySettingsInput.apply(try GatewaySettingsInput.object(Data(json.utf8)), to: &settings)
        return settings
    }

    @Test("given fields replace, absent ones stay, null and 0 turn a setting off")
    func merge() throws {
        let first = try apply(
            #"{"cache_ttl": 60, "rate_limiting_limit": 10, "rate_limiting_interval": 60, "rate_limiting_technique": "sliding", "retry_backoff": "linear"}"#)
        #expect(first.cacheTTL == 60 && first.rateLimitingLimit == 10 && first.rateLimitingTechnique == "sliding")
        let second = try apply(#"{"collect_logs": false, "cache_ttl": 0}"#, to: first)
        #expect(!second.collectLogs && second.cacheTTL == nil && second.rateLimitingLimit == 10)
        let third = try apply(#"{"rate_limiting_limit": null, "rate_limiting_interval": null, "retry_backoff": null}"#, to: second)
        #expect(third.rateLimitingLimit == nil && third.retryBackoff == nil)
    }

    @Test("Cloudflare's settings aigw does not act on are accepted and ignored")
    func cloudflareExtras() throws {
        let settings = try apply(#"{"logpush": false, "zdr": true, "dlp": {"enabled": false}, "byok_only": false}"#)
        // Accepted, and nothing aigw acts on changed.
        let defaults = GatewaySettings(id: settings.id, now: settings.createdAt)
        #expect(settings.collectLogs == defaults.collectLogs && settings.cacheTTL == defaults.cacheTTL)
        #expect(settings.authentication == defaults.authentication && settings.rateLimitingLimit == defaults.rateLimitingLimit)
    }

    @Test("bad values and unknown keys are a 400 naming the key", arguments: [
        (#"{"cache_ttl": -1}"#, "cache_ttl"), (#"{"cache_ttl": 2592001}"#, "cache_ttl"),
        (#"{"collect_logs": "yes"}"#, "collect_logs"), (#"{"rate_limiting_technique": "leaky"}"#, "rate_limiting_technique"),
        (#"{"retry_max_attempts": 6}"#, "retry_max_attempts"), (#"{"retry_delay": 60001}"#, "retry_delay"),
        (#"{"log_management_strategy": "KEEP"}"#, "log_management_strategy"), (#"{"rate_limiting_limit": 5}"#, "rate_limiting_interval"),
        (#"{"colour": "red"}"#, "colour"), (#"{"id": "other"}"#, "id"), (#"[]"#, "body"),
    ])
    func badInput(json: String, field: String) {
        do {
            _ = try apply(json)
            Issue.record("\(json) was accepted")
        } catch let error as ManagementError {
            #expect(error.httpStatus == 400 && error.message.hasPrefix(field), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
