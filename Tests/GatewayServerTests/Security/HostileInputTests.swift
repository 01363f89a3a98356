import AIGateway
import Foundation
import GatewayCore
import NIOHTTP1
import Testing

/// Each case a hostile client was seen to get through, tried again through a real listening
/// gateway; raw sockets where a client library would clean the input.
@Suite("Hostile input, end to end: no request split, no path escape, no key sharing, no filter wider than it reads")
struct HostileInputTests {
    let chat = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#

    func api(_ servers: LiveServers, _ path: String) -> String {
        "\(servers.gateway)/client/v4/accounts/local/ai-gateway\(path)"
    }

    /// A Universal request of one OpenAI step with this endpoint.
    func universal(endpoint: String) throws -> String {
        let step: [String: Any] = [
            "provider": "openai", "endpoint": endpoint, "headers": ["authorization": "Bearer sk-1"],
            "query": ["model": "gpt-4o-mini", "messages": [["role": "user", "content": "hi"]]],
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: [step]), as: UTF8.self)
    }

    @Test("a Universal step's endpoint with CR/LF, NUL, non-ASCII or an encoded backslash is a 2014 and reaches no provider")
    func universalSplitting() async throws {
        try await LiveServers.with { servers in
            for endpoint in [
                "chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /openai/v1/other",
                "chat/completions\u{0}", "chat\u{FF0E}completions", "ch\u{0430}t/completions", "chat%5ccompletions",
                "chat/completions?x=1 HTTP/1.1\r\nX: y", "chat/completions#frag", "%2e%2e/admin",
            ] {
                let answer = try await servers.send("\(servers.gateway)/v1/local/test-gw", body: try universal(endpoint: endpoint))
                #expect(answer.status == 400, "\(endpoint.debugDescription): \(answer.body)")
                #expect(answer.json["internalCode"] as? Int == 2014, "\(endpoint.debugDescription)")
                #expect(!answer.body.contains("\r"), "the error quotes the endpoint without raw controls")
            }
            #expect(try await servers.mockCount() == 0)
            // The same gateway still forwards a clean step.
            let clean = try await servers.send("\(servers.gateway)/v1/local/test-gw", body: try universal(endpoint: "chat/completions"))
            #expect(clean.status == 200)
        }
    }

    @Test(
        "encoded dot segments and slashes on a provider route are a 2012 and reach no provider",
        arguments: ["/.%2e/.%2e/x", "/%2e./%2e./x", "/..%2f..%2fx", "/..%5c..%5cx", "/%252e%252e/x", "/chat%00/completions"])
    func pathEscapes(suffix: String) async throws {
        try await LiveServers.with { servers in
            let request =
                "GET /v1/local/test-gw/openai\(suffix) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-1\r\n"
                + "Connection: close\r\n\r\n"
            let exchange = try await RawConnection.exchange(port: servers.gatewayPort, sending: request)
            #expect(exchange.status == 400, "\(exchange.received)")
            #expect(exchange.received.contains("\"internalCode\":2012"))
            #expect(try await servers.mockCount() == 0)
        }
    }

    @Test("a /compat model that Google would take into its URL path is held to the same rule")
    func compatModelInPath() async throws {
        try await LiveServers.with { servers in
            let body = #"{"model":"google-ai-studio/../../x","messages":[{"role":"user","content":"hi"}]}"#
            let answer = try await servers.send(servers.url("compat/chat/completions"), headers: ["authorization": "Bearer k"], body: body)
            #expect(answer.status == 400 && answer.json["internalCode"] as? Int == 2015, "\(answer.body)")
            #expect(try await servers.mockCount() == 0)
        }
    }

    @Test(
        "two callers with different keys never share a cached answer, whichever header carries the key",
        arguments: [
            ("anthropic/v1/messages", "authorization", "Bearer "), ("anthropic/v1/messages", "x-api-key", ""),
            ("openai/chat/completions", "api-key", ""), ("openai/chat/completions", "x-goog-api-key", ""),
        ])
    func cacheSeparatesCredentials(path: String, header: String, prefix: String) async throws {
        try await LiveServers.with { servers in
            let body = #"{"model":"claude-3-5-haiku-latest","max_tokens":16,"messages":[{"role":"user","content":"cache me"}]}"#
            func call(_ key: String) async throws -> LiveServers.Answer {
                try await servers.send(
                    servers.url(path), headers: [header: prefix + key, "cf-aig-cache-ttl": "60"], body: body)
            }
            let first = try await call("key-of-alice")
            let second = try await call("key-of-bob")
            let again = try await call("key-of-alice")
            #expect(first.headers["cf-aig-cache-status"] == "MISS")
            #expect(second.headers["cf-aig-cache-status"] == "MISS", "bob must not get alice's answer")
            #expect(again.headers["cf-aig-cache-status"] == "HIT")
            let reached = try await servers.mockCount()
            #expect(reached == 2, "the provider was reached \(reached) times: \(first.status) \(second.status) \(again.status)")
        }
    }

    @Test("a request with its own key in another header than the provider's keeps it: no stored key is added")
    func storedKeyNotAddedBesideOwn() async throws {
        try await LiveServers.with(configure: { configuration in
            var settings = GatewaySettings(id: "byok")
            settings.authentication = true
            configuration.gateways["byok"] = settings
            configuration.masterKey = "test master key, long enough"
        }) { servers in
            let token = try #require(
                (try await servers.send(api(servers, "/gateways/byok/tokens"), body: "{}").json["result"] as? [String: Any])?["token"]
                    as? String)
            let stored = try await servers.send(
                api(servers, "/gateways/byok/provider_configs"),
                body: #"{"provider_slug":"anthropic","secret":"sk-ant-stored"}"#)
            #expect(stored.status == 200)
            let body = #"{"model":"claude-3-5-haiku-latest","max_tokens":16,"messages":[]}"#
            let url = servers.url("anthropic/v1/messages", gateway: "byok")
            func forwarded() async throws -> [String: String] {
                try await servers.mockRequests().last?["headers"] as? [String: String] ?? [:]
            }
            let auth = ["cf-aig-authorization": "Bearer \(token)"]
            #expect(try await servers.send(url, headers: auth.merging(["authorization": "Bearer sk-ant-own"]) { $1 }, body: body).status == 200)
            #expect(try await forwarded()["x-api-key"] == nil)
            #expect(try await forwarded()["authorization"] == "Bearer sk-ant-own")
            #expect(try await servers.send(url, headers: auth, body: body).status == 200)
            #expect(try await forwarded()["x-api-key"] == "sk-ant-stored")
        }
    }

    @Test("log filters match literally: NUL is refused, null is no text to look for, and a delete deletes what the list shows")
    func filters() async throws {
        try await LiveServers.with { servers in
            for model in ["gpt-4o-mini", "gpt-4o", "a%b_c\\d", "axbyc"] {
                let body = #"{"model":"\#(model.replacingOccurrences(of: "\\", with: "\\\\"))","messages":[]}"#
                let answer = try await servers.send(
                    servers.url("openai/chat/completions"), headers: ["authorization": "Bearer k"], body: body)
                #expect(answer.status == 200)
            }
            let logs = api(servers, "/gateways/test-gw/logs")
            #expect(try await servers.storedLogs().count == 4)
            for query in [
                "filters.key=model&filters.operator=contains&filters.value=%00", "search=%00",
                "filters=" + #"[{"key":"model","operator":"contains","value":null}]"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                "filters=" + #"[{"key":"model","operator":"contains","value":[null]}]"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                "filters=" + #"[{"key":"model","operator":"eq","value":[["x"]]}]"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                "filters.key=model&filters.operator=contains&filters.value=" + String(repeating: "a", count: 2000),
            ] {
                for method in [NIOHTTP1.HTTPMethod.GET, .DELETE] {
                    let answer = try await servers.send(method, "\(logs)?\(query)")
                    #expect(answer.status == 400, "\(method) \(query): \(answer.body)")
                    #expect(!answer.body.lowercased().contains("sqlite"))
                }
            }
            #expect(try await servers.storedLogs().count == 4, "a refused delete deletes nothing")
            // `%`, `_` and `\` are matched as themselves: list, then delete, the same logs.
            for value in ["%25", "_", "%5C"] {
                let listed = try await servers.send(.GET, "\(logs)?filters.key=model&filters.operator=contains&filters.value=\(value)")
                let count = (listed.json["result_info"] as? [String: Any])?["total_count"] as? Int
                #expect(count == 1, "\(value): \(listed.body)")
            }
            let filter = "filters.key=model&filters.operator=contains&filters.value=gpt-4o"
            let listed = try await servers.send(.GET, "\(logs)?\(filter)")
            let listedCount = try #require((listed.json["result_info"] as? [String: Any])?["total_count"] as? Int)
            let deleted = try await servers.send(.DELETE, "\(logs)?\(filter)")
            #expect((deleted.json["result"] as? [String: Any])?["deleted"] as? Int == listedCount)
            #expect(listedCount == 2)
            #expect(try await servers.storedLogs().count == 2)
        }
    }

    @Test("a PATCH body with a trailing comma is a 400 that says where, and changes nothing")
    func strictJSON() async throws {
        try await LiveServers.with { servers in
            let answer = try await servers.send(
                servers.url("openai/chat/completions"), headers: ["authorization": "Bearer k"], body: chat)
            let id = try #require(answer.logID)
            _ = try await servers.storedLog(id)
            let patched = try await servers.send(.PATCH, api(servers, "/gateways/test-gw/logs/\(id)"), body: #"{"score": 1,}"#)
            #expect(patched.status == 400)
            #expect(patched.body.contains("line 1, column 13"), "\(patched.body)")
            #expect(try await servers.storedLog(id)?.score == nil)
            let metadata = try await servers.send(
                servers.url("openai/chat/completions"), headers: ["authorization": "Bearer k", "cf-aig-metadata": #"{"a": 1,}"#],
                body: chat)
            #expect(metadata.status == 400 && metadata.body.contains("column 9"), "\(metadata.body)")
        }
    }

    @Test("stalled clients are let go: half a head, a head and part of a body, an idle kept-alive connection")
    func stalledClients() async throws {
        try await LiveServers.with(configure: { configuration in
            configuration.clients.headTimeoutMs = 300
            configuration.clients.bodyIdleTimeoutMs = 300
            configuration.clients.keepAliveTimeoutMs = 300
        }) { servers in
            let path = "/v1/local/test-gw/openai/chat/completions"
            let halfHead = try await RawConnection.exchange(port: servers.gatewayPort, sending: "POST \(path) HTTP/1.1\r\nHost: x\r\n")
            #expect(halfHead.closed)
            let partBody = try await RawConnection.exchange(
                port: servers.gatewayPort,
                sending: "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\"")
            #expect(partBody.closed)
            // The request whose body stalled is answered (it could not be read) and logged.
            let kept = try await RawConnection.exchange(
                port: servers.gatewayPort,
                sending: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(kept.closed && kept.status == 200, "\(kept.received)")
            #expect(try await servers.mockCount() == 0)
        }
    }

    @Test("a body declared larger than the limit is a 413 at once, and the connection closes without reading it")
    func declaredTooLarge() async throws {
        try await LiveServers.with(configure: { $0.maxRequestBodyBytes = 4096 }) { servers in
            let exchange = try await RawConnection.exchange(
                port: servers.gatewayPort,
                sending: "POST /v1/local/test-gw/openai/chat/completions HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{")
            #expect(exchange.status == 413, "\(exchange.received)")
            #expect(exchange.received.contains("\"internalCode\":2011"))
            #expect(exchange.closed)
            #expect(try await servers.mockCount() == 0)
        }
    }
}
