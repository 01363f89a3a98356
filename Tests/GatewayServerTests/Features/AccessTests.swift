import AIGateway
import Foundation
import GatewayCore
import Testing

@Suite("Rate limits, authenticated gateways and stored provider keys, end to end")
struct AccessTests {
    let chat = #"{"model":"gpt-4o-mini","messages":[]}"#

    func api(_ servers: LiveServers, _ path: String) -> String {
        "\(servers.gateway)/client/v4/accounts/local/ai-gateway\(path)"
    }

    func configure(_ id: String, _ change: @escaping @Sendable (inout GatewaySettings) -> Void) -> @Sendable (inout GatewayConfiguration) -> Void {
        { configuration in
            var settings = GatewaySettings(id: id)
            change(&settings)
            configuration.gateways[id] = settings
            configuration.masterKey = "test master key, long enough"
        }
    }

    @Test("a limit of L with L + k requests at once lets exactly L through; the rest get 429, code 2003, Retry-After", arguments: ["fixed", "sliding"])
    func rateLimit(technique: String) async throws {
        try await LiveServers.with(configure: configure("limited") {
            $0.rateLimitingLimit = 10
            $0.rateLimitingInterval = 3600
            $0.rateLimitingTechnique = technique
        }) { servers in
            let answers = try await withThrowingTaskGroup(of: LiveServers.Answer.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await servers.send(servers.url("openai/chat/completions", gateway: "limited"), body: chat) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let refused = answers.filter { $0.status == 429 }
            let passed = answers.filter { $0.status == 200 }.count
            #expect(passed == 10 && refused.count == 30)
            #expect(refused.allSatisfy { $0.json["internalCode"] as? Int == 2003 && Int($0.headers["retry-after"] ?? "") ?? 0 >= 1 })
            #expect(try await servers.mockCount() == 10)
            #expect(try await servers.storedLogs(gateway: "limited").count == 40)
        }
    }

    @Test("authentication on: no token or a wrong one is 401, code 2009, and reaches no provider; a created token works until revoked")
    func authentication() async throws {
        try await LiveServers.with(configure: configure("locked") { $0.authentication = true }) { servers in
            let url = servers.url("openai/chat/completions", gateway: "locked")
            let none = try await servers.send(url, body: chat)
            let wrong = try await servers.send(url, headers: ["cf-aig-authorization": "Bearer aigw_guess"], body: chat)
            #expect(none.status == 401 && none.json["internalCode"] as? Int == 2009)
            #expect(wrong.status == 401 && wrong.body.contains("not valid"))
            #expect(try await servers.mockCount() == 0)

            let created = try await servers.send(api(servers, "/gateways/locked/tokens"), body: #"{"name":"ci"}"#)
            let result = try #require(created.json["result"] as? [String: Any])
            let token = try #require(result["token"] as? String)
            let tokenID = try #require(result["id"] as? String)
            let allowed = try await servers.send(url, headers: ["cf-aig-authorization": "Bearer \(token)"], body: chat)
            #expect(allowed.status == 200)
            // The token went no further than the gateway.
            let forwarded = try await servers.mockRequests().last?["headers"] as? [String: String] ?? [:]
            #expect(!forwarded.values.contains { $0.contains(token) })

            let listed = try await servers.send(.GET, api(servers, "/gateways/locked/tokens"))
            #expect(listed.body.contains("ci") && !listed.body.contains(token))
            let revoked = try await servers.send(.DELETE, api(servers, "/gateways/locked/tokens/\(tokenID)"))
            #expect(revoked.status == 200)
            #expect(try await servers.send(url, headers: ["cf-aig-authorization": "Bearer \(token)"], body: chat).status == 401)
            let again = try await servers.send(.DELETE, api(servers, "/gateways/locked/tokens/\(tokenID)"))
            #expect(again.status == 404)
        }
    }

    @Test("stored keys: used on an authenticated gateway when the request has none; the request's own wins; 2040 for an unknown alias")
    func storedKeys() async throws {
        try await LiveServers.with(configure: configure("byok") { $0.authentication = true }) { servers in
            let token = try #require(
                (try await servers.send(api(servers, "/gateways/byok/tokens"), body: "{}").json["result"] as? [String: Any])?["token"]
                    as? String)
            let auth = ["cf-aig-authorization": "Bearer \(token)"]
            for (alias, secret) in [("default", "sk-stored-default-123"), ("team-b", "sk-stored-team-b-456")] {
                let stored = try await servers.send(
                    api(servers, "/gateways/byok/provider_configs"),
                    body: #"{"alias":"\#(alias)","provider_slug":"openai","secret":"\#(secret)"}"#)
                #expect(stored.status == 200 && !stored.body.contains(secret), "\(stored.body)")
            }
            let url = servers.url("openai/chat/completions", gateway: "byok")
            func forwardedAuthorization() async throws -> String? {
                (try await servers.mockRequests().last?["headers"] as? [String: String])?["authorization"]
            }
            #expect(try await servers.send(url, headers: auth, body: chat).status == 200)
            #expect(try await forwardedAuthorization() == "Bearer sk-stored-default-123")
            _ = try await servers.send(url, headers: auth.merging(["cf-aig-byok-alias": "team-b"]) { $1 }, body: chat)
            #expect(try await forwardedAuthorization() == "Bearer sk-stored-team-b-456")
            _ = try await servers.send(url, headers: auth.merging(["authorization": "Bearer sk-own"]) { $1 }, body: chat)
            #expect(try await forwardedAuthorization() == "Bearer sk-own")
            let unknown = try await servers.send(url, headers: auth.merging(["cf-aig-byok-alias": "nobody"]) { $1 }, body: chat)
            #expect(unknown.status == 400 && unknown.json["internalCode"] as? Int == 2040)

            let listed = try await servers.send(.GET, api(servers, "/gateways/byok/provider_configs"))
            #expect(listed.body.contains("team-b") && !listed.body.contains("sk-stored"))
            let conflict = try await servers.send(
                api(servers, "/gateways/byok/provider_configs"), body: #"{"alias":"team-b","provider_slug":"openai","secret":"x"}"#)
            #expect(conflict.status == 409)
            // Never stored in clear: not in the database file or its WAL.
            await servers.parts.writer.flush()
            for suffix in ["", "-wal"] {
                let bytes = (try? Data(contentsOf: URL(fileURLWithPath: servers.databasePath + suffix))) ?? Data()
                #expect(bytes.range(of: Data("sk-stored-default-123".utf8)) == nil, "found in \(suffix)")
                #expect(bytes.range(of: Data(token.utf8)) == nil)
            }
        }
    }

    @Test("stored keys are not used on a gateway without authentication")
    func notWithoutAuthentication() async throws {
        try await LiveServers.with(configure: configure("open") { _ in }) { servers in
            let stored = try await servers.send(
                api(servers, "/gateways/open/provider_configs"), body: #"{"provider_slug":"openai","secret":"sk-unused"}"#)
            #expect(stored.status == 200)
            _ = try await servers.send(servers.url("openai/chat/completions", gateway: "open"), body: chat)
            let forwarded = try await servers.mockRequests().last?["headers"] as? [String: String] ?? [:]
            #expect(forwarded["authorization"] == nil)
        }
    }

    @Test("provider_configs and tokens: bad input is a 400 naming the field; no master key, no storing")
    func badInput() async throws {
        try await LiveServers.with(configure: configure("g") { _ in }) { servers in
            let configs = api(servers, "/gateways/g/provider_configs")
            for (body, field) in [
                (#"{"secret":"x"}"#, "provider_slug"), (#"{"provider_slug":"nope","secret":"x"}"#, "provider_slug"),
                (#"{"provider_slug":"openai"}"#, "secret"), (#"{"provider_slug":"openai","secret":""}"#, "secret"),
                (#"{"provider_slug":"openai","secret":"x","alias":"a b"}"#, "alias"),
                (#"{"provider_slug":"openai","secret":"x","colour":1}"#, "colour"), ("not json", "JSON"),
            ] {
                let answer = try await servers.send(configs, body: body)
                #expect(answer.status == 400 && answer.body.contains(field), "\(body): \(answer.body)")
            }
            #expect(try await servers.send(api(servers, "/gateways/g/tokens"), body: #"{"name":5}"#).status == 400)
            #expect(try await servers.send(.GET, api(servers, "/gateways/none/tokens")).status == 404)
        }
        try await LiveServers.with { servers in
            let refused = try await servers.send(
                api(servers, "/gateways/test-gw/provider_configs"), body: #"{"provider_slug":"openai","secret":"x"}"#)
            #expect(refused.status == 404 || refused.body.contains("master key"), "\(refused.body)")
            _ = try await servers.send(servers.url("openai/chat/completions"), body: chat)  // creates test-gw
            let noKey = try await servers.send(
                api(servers, "/gateways/test-gw/provider_configs"), body: #"{"provider_slug":"openai","secret":"x"}"#)
            #expect(noKey.status == 400 && noKey.body.contains("master key"))
        }
    }
}
