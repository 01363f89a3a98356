import AIGateway
import Foundation
import Testing

/// The analytics API end to end: requests through the gateway, then their figures.
@Suite("Analytics API: what went through the gateway, counted; bad parameters named")
struct AnalyticsAPITests {
    let management = ManagementAPITests()

    @Test("the figures of requests just made, grouped by provider, per gateway and for all gateways")
    func figures() async throws {
        try await LiveServers.with { servers in
            for _ in 0..<3 { _ = try await management.chat(servers) }
            let failed = try await servers.send(
                servers.url("openai/chat/completions"), headers: ["x-mock-status": "500"],
                body: #"{"model":"gpt-4o-mini","messages":[]}"#)
            #expect(failed.logID != nil)

            let answer = try await servers.send(.GET, management.api(servers, "/gateways/test-gw/analytics?group_by=provider"))
            #expect(answer.status == 200, "\(answer.body)")
            let analytics = try WireFormat.decoder().decode(V4Result<GatewayAnalytics>.self, from: Data(answer.body.utf8)).result
            #expect(analytics.totals.requests == 4)
            #expect(analytics.interval == "hour" && analytics.groupBy == "provider")
            #expect(analytics.groups.map(\.group) == ["openai"])
            #expect(analytics.totals.tokensIn > 0 && analytics.totals.durationP95 != nil)
            #expect(analytics.buckets.map(\.figures.requests).reduce(0, +) == 4)

            let all = try await servers.send(.GET, management.api(servers, "/analytics?interval=minute"))
            #expect(all.status == 200, "\(all.body)")
            #expect(all.body.contains(#""requests":4"#))
        }
    }

    @Test("the Swift library reads the same figures, grouped and filtered")
    func library() async throws {
        try await LiveServers.with { servers in
            for _ in 0..<2 { _ = try await management.chat(servers) }
            let client = ManagementClient(baseURL: URL(string: servers.gateway)!, accountID: "local")
            let grouped = try await client.analytics(gateway: "test-gw", groupBy: "provider")
            #expect(grouped.totals.requests == 2 && grouped.groups.map(\.group) == ["openai"])
            let none = try await client.analytics(
                gateway: nil, interval: "minute", filters: [.init(key: "provider", operator: "eq", values: ["groq"])])
            #expect(none.totals.requests == 0 && none.interval == "minute")
        }
    }

    @Test("a parameter that cannot be used is a 400 naming it; an unknown gateway is a 404")
    func refusals() async throws {
        try await LiveServers.with { servers in
            _ = try await management.chat(servers)  // the gateway is made by its first request
            let badInterval = try await servers.send(.GET, management.api(servers, "/gateways/test-gw/analytics?interval=week"))
            management.expectFailure(badInterval, status: 400, mentioning: "interval")
            let badStart = try await servers.send(.GET, management.api(servers, "/analytics?start=soon"))
            management.expectFailure(badStart, status: 400, mentioning: "start")
            let unknown = try await servers.send(.GET, management.api(servers, "/gateways/nope/analytics"))
            management.expectFailure(unknown, status: 404, mentioning: "nope")
        }
    }
}

/// Datasets and evaluations refuse what they cannot use, naming it, and store nothing.
@Suite("Datasets and evaluations: bad input")
struct DatasetInputTests {
    let management = ManagementAPITests()

    @Test("malformed JSON, an unknown filter key or operator, a filter the logs list refuses, an unknown dataset: 400s that say where")
    func refusals() async throws {
        try await LiveServers.with { servers in
            _ = try await management.chat(servers)
            let datasets = management.api(servers, "/gateways/test-gw/datasets")
            let cases: [(String, String)] = [
                (#"{"name": "x", "enable": true, "filters": [}"#, "body"),
                (#"{"name": "x", "enable": true, "filters": [{"key": "metadata.key", "operator": "eq", "value": ["a"]}]}"#, "filters[0].key"),
                (#"{"name": "x", "enable": true, "filters": [{"key": "cost", "operator": "neq", "value": [1]}]}"#, "filters[0].operator"),
                (#"{"name": "x", "enable": true, "filters": [{"key": "cost", "operator": "lt", "value": ["cheap"]}]}"#, "filters[0]"),
                (#"{"name": "<script>", "filters": []}"#, "enable"),
            ]
            for (body, place) in cases {
                let answer = try await servers.send(datasets, body: body)
                management.expectFailure(answer, status: 400, mentioning: place)
            }
            let listed = try await servers.send(.GET, datasets)
            #expect(listed.body.contains(#""result":[]"#), "nothing was stored: \(listed.body)")
            let evaluation = try await servers.send(
                management.api(servers, "/gateways/test-gw/evaluations"),
                body: #"{"name": "e", "dataset_ids": ["nope"], "evaluation_type_ids": ["cost"]}"#)
            management.expectFailure(evaluation, status: 400, mentioning: "dataset_ids")
        }
    }
}

/// The `result` of a v4 envelope.
struct V4Result<Result: Decodable>: Decodable {
    let result: Result
}
