import AIGateway
import Foundation
import TestSupport
import Testing

@testable import GatewayServer

@Suite("Management REST API: the v4 envelope, gateways, logs, URLs, admin access, bad input")
struct ManagementAPITests {
    /// `{gateway}/client/v4/accounts/local/ai-gateway` + `path`.
    func api(_ servers: LiveServers, _ path: String) -> String {
        "\(servers.gateway)/client/v4/accounts/local/ai-gateway\(path)"
    }

    /// A chat request through gateway `test-gw`; returns its log id.
    func chat(_ servers: LiveServers, headers: [String: String] = [:]) async throws -> String {
        let answer = try await servers.send(
            servers.url("openai/chat/completions"), headers: headers, body: #"{"model":"gpt-4o-mini","messages":[]}"#)
        return try #require(answer.logID)
    }

    func expectFailure(
        _ answer: LiveServers.Answer, status: Int, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(answer.status == status, "\(answer.body)", sourceLocation: sourceLocation)
        #expect(answer.json["success"] as? Bool == false, sourceLocation: sourceLocation)
        #expect(answer.body.contains(#""result":null"#), sourceLocation: sourceLocation)
        let message = (answer.json["errors"] as? [[String: Any]])?.first?["message"] as? String ?? ""
        #expect(message.contains(text), "\(message)", sourceLocation: sourceLocation)
    }

    @Test("a log just returned in cf-aig-log-id can be read and patched at once (read-your-writes)")
    func readYourWrites() async throws {
        try await LiveServers.with(configure: { $0.logQueue.flushIntervalMs = 300 }) { servers in
            let id = try await chat(servers, headers: ["cf-aig-metadata": #"{"user":"42"}"#])
            let patched = try await servers.send(
                .PATCH, api(servers, "/gateways/test-gw/logs/\(id)"), body: #"{"feedback":1,"score":95}"#)
            #expect(patched.status == 200, "\(patched.body)")
            let read = try await servers.send(.GET, api(servers, "/gateways/test-gw/logs/\(id)"))
            #expect(read.json["success"] as? Bool == true)
            let log = try #require(read.json["result"] as? [String: Any])
            #expect(log["id"] as? String == id && log["feedback"] as? Int == 1 && log["score"] as? Int == 95)
            #expect(log["provider"] as? String == "openai" && log["model"] as? String == "gpt-4o-mini")
            // Metadata as Cloudflare's REST API writes it: JSON text.
            #expect(log["metadata"] as? String == #"{"user":"42"}"#)
            #expect((log["created_at"] as? String)?.hasSuffix("Z") == true)
        }
    }

    @Test("list: filters in the dotted, indexed and JSON forms, flat parameters, paging and result_info")
    func listLogs() async throws {
        try await LiveServers.with { servers in
            for _ in 0..<3 { _ = try await chat(servers) }
            _ = try await servers.send(
                servers.url("anthropic/v1/messages"), body: #"{"model":"claude-3-5-haiku-latest","max_tokens":5,"messages":[]}"#)
            let failing = try await chat(servers, headers: ["x-mock-status": "500"])

            func listed(_ query: String) async throws -> (ids: [String], info: [String: Any]) {
                let answer = try await servers.send(.GET, api(servers, "/gateways/test-gw/logs?\(query)"))
                #expect(answer.status == 200, "\(answer.body)")
                let result = answer.json["result"] as? [[String: Any]] ?? []
                return (result.compactMap { $0["id"] as? String }, answer.json["result_info"] as? [String: Any] ?? [:])
            }
            let all = try await listed("")
            #expect(all.ids.count == 5 && all.ids.first == failing)
            #expect(all.info["total_count"] as? Int == 5 && all.info["count"] as? Int == 5)
            #expect(all.info["page"] as? Int == 1 && all.info["per_page"] as? Int == 20)
            #expect(try await listed("filters.key=provider&filters.operator=eq&filters.value=anthropic").ids.count == 1)
            #expect(try await listed("filters[0][key]=success&filters[0][operator]=eq&filters[0][value][0]=false").ids == [failing])
            let json = #"[{"key":"provider","operator":"eq","value":["openai"]},{"key":"status_code","operator":"lt","value":[300]}]"#
            #expect(
                try await listed("filters=" + json.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!).ids.count == 3)
            #expect(try await listed("provider=openai&success=false").ids == [failing])
            let paged = try await listed("per_page=2&page=3&order_by_direction=asc")
            #expect(paged.ids == [failing] && paged.info["total_count"] as? Int == 5 && paged.info["count"] as? Int == 1)
        }
    }

    @Test("logs: bad input and unknown things")
    func logBadInput() async throws {
        try await LiveServers.with { servers in
            let id = try await chat(servers)
            let log = api(servers, "/gateways/test-gw/logs/\(id)")
            expectFailure(try await servers.send(.PATCH, log, body: #"{"feedback":2}"#), status: 400, mentioning: "feedback")
            expectFailure(try await servers.send(.PATCH, log, body: #"{"score":101}"#), status: 400, mentioning: "score")
            expectFailure(
                try await servers.send(.PATCH, log, body: #"{"metadata":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}}"#), status: 400,
                mentioning: "metadata")
            expectFailure(
                try await servers.send(.PATCH, log, body: #"{"metadata":{"a":{"b":1}}}"#), status: 400, mentioning: "metadata.a")
            expectFailure(try await servers.send(.PATCH, log, body: "feedback=1"), status: 400, mentioning: "not JSON")
            expectFailure(
                try await servers.send(.GET, api(servers, "/gateways/test-gw/logs?filters.key=colour&filters.operator=eq&filters.value=x")),
                status: 400, mentioning: "colour")
            expectFailure(
                try await servers.send(.GET, api(servers, "/gateways/test-gw/logs?filters.key=model&filters.operator=like&filters.value=x")),
                status: 400, mentioning: "operator")
            expectFailure(
                try await servers.send(.GET, api(servers, "/gateways/test-gw/logs/01ZZZZZZZZZZZZZZZZZZZZZZZZ")), status: 404,
                mentioning: "not found")
            expectFailure(
                try await servers.send(.PATCH, api(servers, "/gateways/test-gw/logs/nope"), body: #"{"score":1}"#), status: 404,
                mentioning: "not found")
            expectFailure(try await servers.send(.GET, api(servers, "/gateways/nope/logs")), status: 404, mentioning: "'nope'")
            expectFailure(
                try await servers.send(.GET, "\(servers.gateway)/client/v4/accounts/other/ai-gateway/gateways"), status: 404,
                mentioning: "'other'")
            expectFailure(try await servers.send(.GET, api(servers, "/nothing-here")), status: 404, mentioning: "no management API route")
            // Nothing was changed by the refused patches.
            let stored = try #require(try await servers.parts.store.log(id: id, gatewayID: "test-gw"))
            #expect(stored.feedback == nil && stored.score == nil && stored.metadata == nil)
        }
    }

    @Test("concurrent PATCHes to one log lose no update")
    func concurrentPatches() async throws {
        try await LiveServers.with { servers in
            let id = try await chat(servers)
            let url = api(servers, "/gateways/test-gw/logs/\(id)")
            let bodies = [#"{"feedback":-1}"#, #"{"score":33}"#, #"{"metadata":{"k":"v"}}"#]
            try await withThrowingTaskGroup(of: Int.self) { group in
                for round in 0..<10 {
                    for body in bodies { group.addTask { try await servers.send(.PATCH, url, body: body).status } }
                    _ = round
                }
                for try await status in group { #expect(status == 200) }
            }
            let log = try #require(try await servers.parts.store.log(id: id, gatewayID: "test-gw"))
            #expect(log.feedback == -1 && log.score == 33 && log.metadata == ["k": .string("v")])
        }
    }

    @Test("stored bodies come back as sent and as relayed; delete by filters and limit")
    func bodiesAndDeletion() async throws {
        try await LiveServers.with { servers in
            let id = try await chat(servers)
            _ = try await chat(servers, headers: ["x-mock-status": "500"])
            _ = try await chat(servers, headers: ["x-mock-status": "500"])
            let request = try await servers.send(.GET, api(servers, "/gateways/test-gw/logs/\(id)/request"))
            #expect(request.body == #"{"model":"gpt-4o-mini","messages":[]}"#)
            #expect(request.headers["content-type"] == "application/json")
            let response = try await servers.send(.GET, api(servers, "/gateways/test-gw/logs/\(id)/response"))
            #expect(response.body.contains("chat.completion"))
            let deleted = try await servers.send(
                .DELETE, api(servers, "/gateways/test-gw/logs?filters.key=success&filters.operator=eq&filters.value=false&limit=1"))
            #expect((deleted.json["result"] as? [String: Any])?["deleted"] as? Int == 1)
            #expect(try await servers.parts.store.count(gatewayID: "test-gw") == 2)
            expectFailure(
                try await servers.send(.DELETE, api(servers, "/gateways/test-gw/logs?limit=-3")), status: 400, mentioning: "limit")
        }
    }

    @Test("gateways: create, list with search, get, update (merge), delete; conflicts and bad settings")
    func gateways() async throws {
        try await LiveServers.with { servers in
            let created = try await servers.send(
                api(servers, "/gateways"),
                body: #"{"id":"team-a","cache_ttl":60,"cache_invalidate_on_update":false,"collect_logs":true,"rate_limiting_interval":0,"rate_limiting_limit":0,"logpush":false}"#)
            #expect(created.status == 200, "\(created.body)")
            #expect((created.json["result"] as? [String: Any])?["cache_ttl"] as? Int == 60)
            expectFailure(try await servers.send(api(servers, "/gateways"), body: #"{"id":"team-a"}"#), status: 409, mentioning: "exists")
            expectFailure(try await servers.send(api(servers, "/gateways"), body: #"{"id":"bad id!"}"#), status: 400, mentioning: "id")
            expectFailure(try await servers.send(api(servers, "/gateways"), body: #"{"cache_ttl":5}"#), status: 400, mentioning: "id")
            expectFailure(
                try await servers.send(api(servers, "/gateways"), body: #"{"id":"b","retry_backoff":"wild"}"#), status: 400,
                mentioning: "retry_backoff")
            _ = try await servers.send(api(servers, "/gateways"), body: #"{"id":"team-b"}"#)

            let listed = try await servers.send(.GET, api(servers, "/gateways?search=TEAM&per_page=1&page=2"))
            #expect((listed.json["result"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["team-b"])
            #expect((listed.json["result_info"] as? [String: Any])?["total_count"] as? Int == 2)

            let updated = try await servers.send(.PUT, api(servers, "/gateways/team-a"), body: #"{"collect_logs":false}"#)
            let settings = try #require(updated.json["result"] as? [String: Any])
            #expect(settings["collect_logs"] as? Bool == false && settings["cache_ttl"] as? Int == 60)
            // The change applies to requests at once: no log for this one.
            let answer = try await servers.send(
                servers.url("openai/chat/completions", gateway: "team-a"), body: #"{"model":"m","messages":[]}"#)
            #expect(answer.status == 200 && answer.logID == nil)
            expectFailure(
                try await servers.send(.PUT, api(servers, "/gateways/team-a"), body: #"{"retry_max_attempts":9}"#), status: 400,
                mentioning: "retry_max_attempts")
            expectFailure(try await servers.send(.PUT, api(servers, "/gateways/nope"), body: "{}"), status: 404, mentioning: "nope")

            #expect(try await servers.send(.DELETE, api(servers, "/gateways/team-b")).status == 200)
            expectFailure(try await servers.send(.GET, api(servers, "/gateways/team-b")), status: 404, mentioning: "team-b")
            let stored = try await servers.parts.store.gateways().map(\.id)
            #expect(stored.contains("team-a") && !stored.contains("team-b"))
        }
    }

    @Test("concurrent updates of different settings of one gateway all land")
    func concurrentGatewayUpdates() async throws {
        try await LiveServers.with { servers in
            _ = try await servers.send(api(servers, "/gateways"), body: #"{"id":"busy"}"#)
            let changes = [
                #"{"cache_ttl":30}"#, #"{"collect_logs":false}"#, #"{"authentication":true}"#,
                #"{"retry_max_attempts":3}"#, #"{"retry_delay":250}"#, #"{"retry_backoff":"exponential"}"#,
                #"{"log_management":5000}"#, #"{"cache_invalidate_on_update":true}"#,
            ]
            try await withThrowingTaskGroup(of: Int.self) { group in
                for change in changes {
                    group.addTask { try await servers.send(.PUT, api(servers, "/gateways/busy"), body: change).status }
                }
                for try await status in group { #expect(status == 200) }
            }
            let stored = try #require(try await servers.parts.store.gateways().first { $0.id == "busy" })
            #expect(stored.cacheTTL == 30 && !stored.collectLogs && stored.authentication)
            #expect(stored.retryMaxAttempts == 3 && stored.retryDelay == 250 && stored.retryBackoff == "exponential")
            #expect(stored.logManagement == 5000 && stored.cacheInvalidateOnUpdate)
        }
    }

    @Test("a gateway created on first use is stored, and survives in the store")
    func autoCreatedGatewaysAreStored() async throws {
        try await LiveServers.with { servers in
            _ = try await chat(servers)
            let happened = try await eventually { try await servers.parts.store.gateways().map(\.id).contains("test-gw") }
            #expect(happened)
        }
    }

    @Test("URLs for getUrl: the gateway's base and a provider's, from the configured public URL")
    func urls() async throws {
        try await LiveServers.with(configure: { $0.publicURL = "https://ai.example.com/" }) { servers in
            let base = try await servers.send(.GET, api(servers, "/gateways/any-gw/url"))
            #expect(base.json["result"] as? String == "https://ai.example.com/v1/local/any-gw/")
            let openai = try await servers.send(.GET, api(servers, "/gateways/any-gw/url/openai"))
            #expect(openai.json["result"] as? String == "https://ai.example.com/v1/local/any-gw/openai")
            expectFailure(try await servers.send(.GET, api(servers, "/gateways/any-gw/url/nope")), status: 400, mentioning: "nope")
            expectFailure(try await servers.send(.GET, api(servers, "/gateways/bad%20id/url/openai")), status: 400, mentioning: "gateway")
        }
    }

    @Test("with an admin token configured: no token or a wrong one is a 401 in the envelope")
    func adminToken() async throws {
        try await LiveServers.with(configure: { $0.adminToken = "s3cret-admin" }) { servers in
            let url = api(servers, "/gateways")
            expectFailure(try await servers.send(.GET, url), status: 401, mentioning: "Authentication")
            expectFailure(
                try await servers.send(.GET, url, headers: ["authorization": "Bearer wrong"]), status: 401,
                mentioning: "Authentication")
            expectFailure(
                try await servers.send(.GET, url, headers: ["authorization": "s3cret-admin"]), status: 401,
                mentioning: "Authentication")
            #expect(try await servers.send(.GET, url, headers: ["authorization": "Bearer s3cret-admin"]).status == 200)
        }
    }

    @Test("without an admin token only loopback clients are answered")
    func loopbackRule() {
        #expect(AdminAccess.isLoopback(try? .init(ipAddress: "127.0.0.1", port: 1)))
        #expect(AdminAccess.isLoopback(try? .init(ipAddress: "127.8.9.10", port: 1)))
        #expect(AdminAccess.isLoopback(try? .init(ipAddress: "::1", port: 1)))
        #expect(!AdminAccess.isLoopback(try? .init(ipAddress: "10.0.0.5", port: 1)))
        #expect(!AdminAccess.isLoopback(try? .init(ipAddress: "fe80::1", port: 1)))
        #expect(!AdminAccess.isLoopback(nil))
        #expect(AdminAccess.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!AdminAccess.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!AdminAccess.constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
    }
}
