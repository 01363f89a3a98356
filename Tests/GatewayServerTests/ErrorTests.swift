import AsyncHTTPClient
import Foundation
import NIOCore
import TestSupport
import Testing

@Suite("Errors: the AiGatewayError body, a log for each, and no upstream call for bad input")
struct ErrorTests {
    /// Checks the body of SPEC section 8.
    func expectGatewayError(_ answer: LiveServers.Answer, status: Int, code: Int, mentioning text: String) {
        #expect(answer.status == status)
        let body = answer.json
        #expect(body["success"] as? Bool == false)
        #expect(body["name"] as? String == "AiGatewayError")
        #expect(body["httpCode"] as? Int == status)
        #expect(body["internalCode"] as? Int == code)
        let errors = body["error"] as? [[String: Any]]
        #expect(errors?.first?["code"] as? Int == code)
        let message = body["message"] as? String ?? ""
        #expect(message.contains(text), "\(message)")
        #expect(body["description"] as? String == message)
    }

    @Test("unknown provider: 400, code 2001, names the slug and lists known ones, never reaches an upstream")
    func unknownProvider() async throws {
        try await LiveServers.with { servers in
            let before = try await servers.mockCount()
            let answer = try await servers.send(servers.url("not-a-provider/chat/completions"), body: "{}")
            expectGatewayError(answer, status: 400, code: 2001, mentioning: "'not-a-provider'")
            #expect(answer.body.contains("workers-ai"))
            #expect(try await servers.mockCount() == before + 1 - 1)
            let log = try #require(try await servers.storedLog(answer.logID))
            #expect(log.statusCode == 400 && !log.success)
        }
    }

    @Test("an unparsable cf-aig-* header: 400 naming the header, logged, no upstream call")
    func badHeader() async throws {
        try await LiveServers.with { servers in
            let before = try await servers.mockCount()
            let answer = try await servers.send(
                servers.url("openai/chat/completions"), headers: ["cf-aig-request-timeout": "soon"], body: "{}")
            expectGatewayError(answer, status: 400, code: 2010, mentioning: "cf-aig-request-timeout")
            #expect(try await servers.mockCount() == before)
            _ = try #require(try await servers.storedLog(answer.logID))
        }
    }

    @Test("upstream unreachable: 502, code 2005")
    func unreachable() async throws {
        try await LiveServers.with(configure: { $0.providers["openai"] = .init(baseURL: "http://127.0.0.1:1/v1") }) { servers in
            let answer = try await servers.send(servers.url("openai/chat/completions"), body: #"{"model":"m"}"#)
            expectGatewayError(answer, status: 502, code: 2005, mentioning: "openai")
            let log = try #require(try await servers.storedLog(answer.logID))
            #expect(log.statusCode == 502)
            #expect(log.model == "m")
        }
    }

    @Test("upstream hangs: 504, code 2005, after cf-aig-request-timeout")
    func timeout() async throws {
        try await LiveServers.with { servers in
            let answer = try await servers.send(
                servers.url("openai/chat/completions"),
                headers: ["x-mock-hang": "true", "cf-aig-request-timeout": "300"], body: #"{"model":"m"}"#)
            expectGatewayError(answer, status: 504, code: 2005, mentioning: "300 ms")
            let log = try #require(try await servers.storedLog(answer.logID))
            #expect(log.statusCode == 504 && !log.success)
            #expect(log.duration >= 300)
        }
    }

    @Test("the configured request timeout applies when the request sets none")
    func configuredTimeout() async throws {
        try await LiveServers.with(configure: { $0.requestTimeoutMs = 200 }) { servers in
            let answer = try await servers.send(
                servers.url("openai/chat/completions"), headers: ["x-mock-latency-ms": "1500"], body: "{}")
            expectGatewayError(answer, status: 504, code: 2005, mentioning: "200 ms")
        }
    }

    @Test("connection dropped mid-stream: the client sees a broken answer, the log says what happened")
    func droppedMidStream() async throws {
        try await LiveServers.with { servers in
            let request = servers.streamingRequest("openai/chat/completions", headers: ["x-mock-drop-after": "2"])
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)
            let logID = try #require(response.headers.first(name: "cf-aig-log-id"))
            var received = ""
            var broken = false
            do {
                for try await chunk in response.body { received += String(buffer: chunk) }
            } catch {
                broken = true
            }
            #expect(broken, "the stream ended as if it were complete")
            #expect(!received.contains("[DONE]"))
            let log = try #require(try await servers.storedLog(logID))
            #expect(!log.success)
            #expect(log.statusCode == 200)
            #expect(log.error?.contains("broke off") == true, "\(log.error ?? "no error recorded")")
        }
    }

    @Test("a whole answer cut short: the log records the failure")
    func truncatedWholeAnswer() async throws {
        try await LiveServers.with { servers in
            _ = try? await servers.send(
                servers.url("openai/chat/completions"), headers: ["x-mock-drop-after": "10"], body: #"{"model":"m"}"#)
            _ = try await eventually { try await servers.parts.store.count(gatewayID: "test-gw") > 0 }
            #expect(try await servers.parts.store.count(gatewayID: "test-gw") == 1)
        }
    }

    @Test("a body over the cap: 413, logged with its error, no upstream call")
    func bodyTooLarge() async throws {
        try await LiveServers.with(configure: { $0.maxRequestBodyBytes = 1000 }) { servers in
            let before = try await servers.mockCount()
            let answer = try await servers.send(
                servers.url("openai/chat/completions"), body: String(repeating: "x", count: 5000))
            expectGatewayError(answer, status: 413, code: 2011, mentioning: "1000 bytes")
            #expect(try await servers.mockCount() == before)
            _ = try #require(try await servers.storedLog(answer.logID))
        }
    }

    @Test("auto-creation off: an unknown gateway is 404, code 2001; a configured one works")
    func autoCreateOff() async throws {
        try await LiveServers.with(configure: { configuration in
            configuration.autoCreateGateways = false
            configuration.gateways["known"] = .init(id: "known")
        }) { servers in
            let unknown = try await servers.send(servers.url("openai/chat/completions", gateway: "nope"), body: "{}")
            expectGatewayError(unknown, status: 404, code: 2001, mentioning: "'nope'")
            #expect(unknown.logID == nil)
            let known = try await servers.send(servers.url("openai/chat/completions", gateway: "known"), body: "{}")
            #expect(known.status == 200)
        }
    }

    @Test("malformed URLs: another account, a missing provider, dot segments, a bad gateway id")
    func malformedURLs() async throws {
        try await LiveServers.with { servers in
            expectGatewayError(
                try await servers.send("\(servers.gateway)/v1/other/g/openai/x", body: "{}"), status: 404, code: 2001,
                mentioning: "'other'")
            expectGatewayError(
                try await servers.send(.GET, "\(servers.gateway)/v1/local/g"), status: 400, code: 2012,
                mentioning: "names no provider")
            expectGatewayError(
                try await servers.send("\(servers.gateway)/v1/local/g/openai/%2E%2E/admin", body: "{}"), status: 400,
                code: 2012, mentioning: "'..'")
            expectGatewayError(
                try await servers.send("\(servers.gateway)/v1/local/bad%20id/openai/x", body: "{}"), status: 400,
                code: 2012, mentioning: "gateway id")
        }
    }

    @Test("garbage of every kind crashes nothing: the gateway still answers afterwards")
    func garbage() async throws {
        try await LiveServers.with { servers in
            let bodies = ["", "{", "[]", "null", String(repeating: "\u{0}", count: 100), "{\"model\": {\"nested\": 1}}"]
            for body in bodies {
                let answer = try await servers.send(servers.url("openai/chat/completions"), body: body)
                #expect(answer.status == 200)
            }
            for header in ["cf-aig-metadata", "cf-aig-max-attempts", "cf-aig-cache-ttl", "cf-aig-backoff", "cf-aig-collect-log"] {
                let answer = try await servers.send(
                    servers.url("openai/chat/completions"), headers: [header: "{{garbage \u{1F600}"], body: "{}")
                #expect(answer.status == 400)
            }
            let health = try await servers.send(.GET, "\(servers.gateway)/healthz")
            #expect(health.status == 200)
        }
    }
}
