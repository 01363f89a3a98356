import AIGateway
import Foundation
import GatewayCore
import Testing

@Suite("Spend limits, end to end: checked before every provider call, charged when the answer's usage is known")
struct SpendLimitTests {
    let chat = #"{"model":"gpt-4o-mini","messages":[]}"#
    /// Each request costs $0.40 by the caller's own price.
    let costs40 = ["cf-aig-custom-cost": #"{"total_cost":0.4}"#]

    func limited(_ rules: [SpendLimitRule]) -> @Sendable (inout GatewayConfiguration) -> Void {
        { configuration in
            var settings = GatewaySettings(id: "budget")
            settings.spendLimits = SpendLimits(rules: rules)
            configuration.gateways["budget"] = settings
        }
    }

    /// The three routes that reach a provider, each sending one chat request.
    enum Route: String, CaseIterable, Sendable {
        case providerURL, compat, universal
    }

    func send(_ route: Route, _ servers: LiveServers, headers: [String: String]) async throws -> LiveServers.Answer {
        switch route {
        case .providerURL:
            return try await servers.send(servers.url("openai/chat/completions", gateway: "budget"), headers: headers, body: chat)
        case .compat:
            return try await servers.send(
                servers.url("compat/chat/completions", gateway: "budget"), headers: headers,
                body: #"{"model":"openai/gpt-4o-mini","messages":[]}"#)
        case .universal:
            return try await servers.send(
                "\(servers.gateway)/v1/local/budget", headers: headers,
                body: #"{"provider":"openai","endpoint":"chat/completions","headers":{},"query":{"model":"gpt-4o-mini","messages":[]}}"#)
        }
    }

    @Test("$1 a day at $0.40 a request: three are served, the fourth is 429 code 2050 naming the rule, with Retry-After, logged, and never sent", arguments: Route.allCases)
    func refusesAfterTheCrossing(route: Route) async throws {
        try await LiveServers.with(configure: limited([SpendLimitRule(id: "daily", limit: 1, window: 86_400)])) { servers in
            var remaining: [String?] = []
            for _ in 0..<3 {
                let answer = try await send(route, servers, headers: costs40)
                #expect(answer.status == 200)
                remaining.append(answer.headers["cf-aig-spend-remaining"])
            }
            #expect(remaining == ["daily=1.000000", "daily=0.600000", "daily=0.200000"])
            let refused = try await send(route, servers, headers: costs40)
            #expect(refused.status == 429)
            #expect(refused.json["internalCode"] as? Int == 2050)
            let message = refused.json["message"] as? String ?? ""
            #expect(message.contains("'daily'") && message.contains("86400 s") && message.contains("1.200000"))
            let retryAfter = Int(refused.headers["retry-after"] ?? "") ?? 0
            #expect(retryAfter >= 1 && retryAfter <= 86_400)
            #expect(refused.headers["cf-aig-spend-remaining"] == "daily=0.000000")
            #expect(try await servers.mockCount() == 3)
            let logs = try await servers.storedLogs(gateway: "budget")
            #expect(logs.count == 4 && logs.contains { $0.statusCode == 429 })
        }
    }

    @Test("partitions by metadata are budgets of their own; a request without the key counts in the partition of no value")
    func partitions() async throws {
        let rule = SpendLimitRule(id: "per-user", limit: 0.5, window: 3600, metadata: ["user": .partition])
        try await LiveServers.with(configure: limited([rule])) { servers in
            func ask(_ user: String?) async throws -> Int {
                var headers = costs40
                if let user { headers["cf-aig-metadata"] = #"{"user":"\#(user)"}"# }
                return try await send(.providerURL, servers, headers: headers).status
            }
            var statuses: [Int] = []
            for user in ["ada", "ada", "ada", "bob", nil, nil, nil, "bob", "bob"] { statuses.append(try await ask(user)) }
            #expect(statuses == [200, 200, 429, 200, 200, 200, 429, 200, 429])
        }
    }

    @Test("filters: a rule for another provider, model or metadata value leaves the request alone and sends no header")
    func filters() async throws {
        let rules = [
            SpendLimitRule(id: "anthropic", limit: 0.1, window: 60, provider: SpendValueFilter(values: ["anthropic"])),
            SpendLimitRule(id: "gpt-4o", limit: 0.1, window: 60, model: SpendValueFilter(values: ["gpt-4o"])),
            SpendLimitRule(id: "team-a", limit: 0.1, window: 60, metadata: ["team": .filter(["a"])]),
        ]
        try await LiveServers.with(configure: limited(rules)) { servers in
            for _ in 0..<3 {
                var headers = costs40
                headers["cf-aig-metadata"] = #"{"team":"b"}"#
                let answer = try await send(.providerURL, servers, headers: headers)
                #expect(answer.status == 200 && answer.headers["cf-aig-spend-remaining"] == nil)
            }
            var teamA = costs40
            teamA["cf-aig-metadata"] = #"{"team":"a"}"#
            #expect(try await send(.providerURL, servers, headers: teamA).status == 200)
            #expect(try await send(.providerURL, servers, headers: teamA).status == 429)
        }
    }

    @Test("a streamed answer is charged at the price table's cost of the usage in its last event")
    func streamedUsageIsCharged() async throws {
        // gpt-4o-mini's shipped price: one mock answer costs far more than a millionth of a dollar.
        try await LiveServers.with(configure: limited([SpendLimitRule(id: "tiny", limit: 0.000001, window: 60)])) { servers in
            let body = #"{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#
            let url = servers.url("openai/chat/completions", gateway: "budget")
            let first = try await servers.send(url, body: body)
            #expect(first.status == 200 && first.body.contains("data: [DONE]"))
            let second = try await servers.send(url, body: body)
            #expect(second.status == 429 && second.json["internalCode"] as? Int == 2050)
            let logs = try await servers.storedLogs(gateway: "budget")
            let charged = try #require(logs.first { $0.statusCode == 200 }?.cost)
            #expect(charged > 0.000001)
        }
    }

    @Test("a Universal request falls back to its next step when the first step's provider is over budget")
    func universalFallsBackPastASpentBudget() async throws {
        let rule = SpendLimitRule(id: "openai", limit: 0.1, window: 60, provider: SpendValueFilter(values: ["openai"]))
        try await LiveServers.with(configure: limited([rule])) { servers in
            #expect(try await send(.providerURL, servers, headers: costs40).status == 200)
            let steps =
                #"[{"provider":"openai","endpoint":"chat/completions","headers":{},"query":{"model":"gpt-4o-mini","messages":[]}},"#
                + #"{"provider":"anthropic","endpoint":"v1/messages","headers":{"x-api-key":"k"},"query":{"model":"claude-3-5-haiku-latest","max_tokens":8,"messages":[]}}]"#
            let answer = try await servers.send("\(servers.gateway)/v1/local/budget", body: steps)
            #expect(answer.status == 200 && answer.headers["cf-aig-step"] == "1")
        }
    }

    @Test("a cache hit costs nothing and is served over budget")
    func cacheHitsAreFree() async throws {
        try await LiveServers.with(configure: { configuration in
            var settings = GatewaySettings(id: "budget")
            settings.cacheTTL = 600
            settings.spendLimits = SpendLimits(rules: [SpendLimitRule(id: "small", limit: 0.1, window: 60)])
            configuration.gateways["budget"] = settings
        }) { servers in
            let first = try await send(.providerURL, servers, headers: costs40)
            #expect(first.status == 200)
            for _ in 0..<3 {
                let hit = try await send(.providerURL, servers, headers: costs40)
                #expect(hit.status == 200 && hit.headers["cf-aig-cache-status"] == "HIT")
            }
            var fresh = costs40
            fresh["cf-aig-skip-cache"] = "true"
            #expect(try await send(.providerURL, servers, headers: fresh).status == 429)
            #expect(try await servers.mockCount() == 1)
        }
    }
}
