import AIGateway
import Foundation
import Testing

@Suite("The AIGateway binding against a live gateway: run, aiGatewayLogId, getLog, patchLog, getUrl, Universal run")
struct BindingTests {
    func ai(_ servers: LiveServers, apiToken: String? = "wai-token", adminToken: String? = nil) -> AI {
        AI(
            baseURL: URL(string: servers.gateway)!, accountID: "local", apiToken: apiToken, adminToken: adminToken,
            workersAIBaseURL: URL(string: "\(servers.mock)/client/v4/accounts/local/ai")!)
    }

    @Test("run through a gateway: the result, the log id, and the options on the log")
    func runThroughGateway() async throws {
        try await LiveServers.with { servers in
            let ai = ai(servers)
            #expect(ai.aiGatewayLogId == nil)
            let answer = try await ai.run(
                "@cf/meta/llama-3.1-8b-instruct", input: ["prompt": "tell me a joke"],
                options: .init(gateway: .init(id: "bound", metadata: ["user": "123"], eventId: "evt-9")))
            #expect(answer["response"]?.stringValue?.isEmpty == false)
            let logID = try #require(ai.aiGatewayLogId)
            let log = try await ai.gateway("bound").getLog(logID)
            #expect(log.provider == "workers-ai" && log.model == "@cf/meta/llama-3.1-8b-instruct")
            #expect(log.tokensIn == 15 && log.tokensOut == 5)
            #expect(log.metadata == ["user": "123"] && log.eventID == "evt-9")
            #expect(abs(log.createdAt.timeIntervalSinceNow) < 60)
            // The Workers AI token went to the provider; cf-aig-* headers did not.
            let forwarded = try await servers.mockRequests().last?["headers"] as? [String: String] ?? [:]
            #expect(forwarded["authorization"] == "Bearer wai-token")
            #expect(forwarded.keys.allSatisfy { !$0.hasPrefix("cf-aig-") })
        }
    }

    @Test("collectLog false: the run is not logged and aiGatewayLogId stays as it was")
    func collectLogOff() async throws {
        try await LiveServers.with { servers in
            let ai = ai(servers)
            _ = try await ai.run("@cf/a/b", input: ["prompt": "x"], options: .init(gateway: .init(id: "g")))
            let first = ai.aiGatewayLogId
            _ = try await ai.run("@cf/a/b", input: ["prompt": "x"], options: .init(gateway: .init(id: "g", collectLog: false)))
            #expect(ai.aiGatewayLogId == first)
        }
    }

    @Test("run without a gateway goes straight to Workers AI: no log, no log id")
    func runDirect() async throws {
        try await LiveServers.with { servers in
            let ai = ai(servers)
            let before = try await servers.mockCount()
            let answer = try await ai.run("@cf/meta/llama-3.1-8b-instruct", input: ["prompt": "hi"])
            #expect(answer["response"] != nil)
            #expect(try await servers.mockCount() == before + 1)
            #expect(ai.aiGatewayLogId == nil)
            #expect(try await servers.parts.store.count(gatewayID: nil) == 0)
        }
    }

    @Test("a streamed run arrives as server-sent events, ending with [DONE]")
    func stream() async throws {
        try await LiveServers.with { servers in
            let ai = ai(servers)
            var events: [ServerSentEvent] = []
            for try await event in try await ai.stream(
                "@cf/meta/llama-3.1-8b-instruct", input: ["prompt": "hi"], options: .init(gateway: .init(id: "g")))
            {
                events.append(event)
            }
            #expect(events.count > 2 && events.last?.isDone == true)
            #expect(ai.aiGatewayLogId != nil)
        }
    }

    @Test("concurrent runs: aiGatewayLogId is always one of their ids")
    func concurrentRuns() async throws {
        try await LiveServers.with { servers in
            let ai = ai(servers)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        _ = try await ai.run("@cf/a/b", input: ["prompt": "x"], options: .init(gateway: .init(id: "g")))
                    }
                }
                try await group.waitForAll()
            }
            let id = try #require(ai.aiGatewayLogId)
            await servers.parts.writer.flush()
            #expect(try await servers.parts.store.log(id: id, gatewayID: "g") != nil)
            #expect(try await servers.parts.store.count(gatewayID: "g") == 20)
        }
    }

    @Test("patchLog then getLog: feedback, score and metadata, and clearing one")
    func patchAndGet() async throws {
        try await LiveServers.with { servers in
            let ai = ai(servers)
            _ = try await ai.run("@cf/a/b", input: ["prompt": "x"], options: .init(gateway: .init(id: "g")))
            let id = try #require(ai.aiGatewayLogId)
            let gateway = ai.gateway("g")
            try await gateway.patchLog(id, .init(feedback: 1, score: 100, metadata: ["user": "123"]))
            var log = try await gateway.getLog(id)
            #expect(log.feedback == 1 && log.score == 100 && log.metadata == ["user": "123"])
            try await gateway.patchLog(id, .init(score: nil))
            log = try await gateway.getLog(id)
            #expect(log.feedback == 1 && log.score == nil)
        }
    }

    @Test("typed errors: unknown log, unknown gateway, bad patch, upstream failure, unauthorized")
    func typedErrors() async throws {
        try await LiveServers.with(configure: { $0.adminToken = "admin-1" }) { servers in
            let admin = ai(servers, adminToken: "admin-1")
            _ = try await admin.run("@cf/a/b", input: ["prompt": "x"], options: .init(gateway: .init(id: "g")))
            let id = try #require(admin.aiGatewayLogId)
            await #expect(throws: AIGatewayError.logNotFound("log '01ZZZZZZZZZZZZZZZZZZZZZZZZ' not found in gateway 'g'")) {
                try await admin.gateway("g").getLog("01ZZZZZZZZZZZZZZZZZZZZZZZZ")
            }
            await #expect(throws: AIGatewayError.gatewayNotFound("gateway 'nope' not found")) {
                try await admin.gateway("nope").getLog(id)
            }
            do {
                try await admin.gateway("g").patchLog(id, .init(score: 101))
                Issue.record("score 101 was accepted")
            } catch AIGatewayError.badRequest(let code, let message) {
                #expect(code == 1001 && message.contains("score"))
            }
            do {
                _ = try await admin.run(
                    "@cf/a/b", input: ["prompt": "x"],
                    options: .init(gateway: .init(id: "g"), extraHeaders: ["x-mock-status": "503"]))
                Issue.record("a 503 came back as success")
            } catch AIGatewayError.upstream(let status, let body) {
                #expect(status == 503 && String(decoding: body, as: UTF8.self).contains("mock upstream fault"))
            }
            do {
                _ = try await admin.run("@cf/a/b", input: ["prompt": "x"], options: .init(gateway: .init(id: "bad id")))
                Issue.record("a bad gateway id was accepted")
            } catch AIGatewayError.badRequest(let code, _) {
                #expect(code == 2012)
            }
            let outsider = ai(servers, apiToken: "not-the-admin-token")
            do {
                _ = try await outsider.gateway("g").getLog(id)
                Issue.record("a wrong admin token was accepted")
            } catch AIGatewayError.unauthorized(let message) {
                #expect(message.contains("Authentication"))
            }
        }
    }

    @Test("getUrl: the base URL and providers' URLs, custom ones included once configured")
    func getUrl() async throws {
        try await LiveServers.with(configure: { $0.providers["custom-mine"] = .init(baseURL: "http://127.0.0.1:9/v1") }) {
            (servers: LiveServers) async throws in
            let gateway = ai(servers).gateway("my-gateway")
            #expect(try await gateway.getUrl() == "\(servers.gateway)/v1/local/my-gateway/")
            #expect(try await gateway.getUrl(.openai) == "\(servers.gateway)/v1/local/my-gateway/openai")
            #expect(try await gateway.getUrl(.anthropic) == "\(servers.gateway)/v1/local/my-gateway/anthropic")
            #expect(try await gateway.getUrl("custom-mine") == "\(servers.gateway)/v1/local/my-gateway/custom-mine")
            await #expect(throws: AIGatewayError.self) { try await gateway.getUrl("not-a-provider") }
        }
    }

    @Test("Universal run with a fallback array: the first step fails, the second answers, both are logged")
    func universalFallback() async throws {
        try await LiveServers.with { servers in
            let gateway = ai(servers).gateway("g")
            let response = try await gateway.run([
                UniversalStep(
                    provider: .openai, endpoint: "chat/completions", headers: ["x-mock-status": "500"],
                    query: ["model": "gpt-4o-mini", "messages": []]),
                UniversalStep(
                    provider: .anthropic, endpoint: "v1/messages",
                    query: ["model": "claude-3-5-haiku-latest", "max_tokens": 8, "messages": []]),
            ])
            let body = String(decoding: try await response.collect(), as: UTF8.self)
            #expect(response.status == 200 && response.step == 1 && body.contains("msg_mock"))
            let log = try #require(try await servers.storedLog(response.logID, gateway: "g"))
            #expect(log.step == 1 && log.provider == "anthropic")
            #expect(try await servers.parts.store.count(gatewayID: "g") == 2)
        }
    }
}
