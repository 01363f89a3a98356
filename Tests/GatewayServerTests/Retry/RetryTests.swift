import AIGateway
import Foundation
import GatewayCore
import Testing

@Suite("Retries on provider routes: counts seen by the mock, waits seen by an injected clock, every attempt logged")
struct RetryTests {
    let chat = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#

    /// Headers making the mock fail the first `failures` requests of a fresh sequence.
    func failing(_ failures: Int, _ extra: [String: String] = [:]) -> [String: String] {
        ["x-mock-fail-first": String(failures), "x-mock-sequence": UUID().uuidString].merging(extra) { $1 }
    }

    /// How many requests with this sequence reached the mock.
    func mockSaw(_ servers: LiveServers, sequence: String?) async throws -> Int {
        try await servers.mockRequests().filter { ($0["headers"] as? [String: String])?["x-mock-sequence"] == sequence }.count
    }

    @Test("503, 503, then 200 with cf-aig-max-attempts 3: three calls upstream, three logs, the client sees the 200")
    func retriesUntilSuccess() async throws {
        try await LiveServers.with { servers in
            let headers = failing(2, ["cf-aig-max-attempts": "3"])
            let answer = try await servers.send(servers.url("openai/chat/completions"), headers: headers, body: chat)
            #expect(answer.status == 200 && answer.body.contains("chat.completion"))
            #expect(try await mockSaw(servers, sequence: headers["x-mock-sequence"]) == 3)
            let logs = try await servers.storedLogs()
            #expect(logs.map(\.statusCode) == [503, 503, 200])
            #expect(logs[0].error?.contains("attempt 1 of 3 answered HTTP 503; retried") == true, "\(logs[0].error ?? "")")
            #expect(logs.last?.id == answer.logID && logs.last?.success == true)
        }
    }

    @Test("the waits follow the backoff: exponential 100, 200, 400 ms; linear 100, 200; constant 100, 100")
    func backoffWaits() async throws {
        for (backoff, expected) in [("exponential", [100, 200, 400]), ("linear", [100, 200]), ("constant", [100, 100])] {
            let clock = RecordingRetryClock()
            try await LiveServers.with(retryClock: clock) { servers in
                let headers = failing(
                    expected.count,
                    ["cf-aig-max-attempts": "5", "cf-aig-retry-delay": "100", "cf-aig-backoff": backoff])
                let answer = try await servers.send(servers.url("openai/chat/completions"), headers: headers, body: chat)
                #expect(answer.status == 200)
            }
            #expect(clock.recorded == expected.map { .milliseconds($0) }, "\(backoff)")
        }
    }

    @Test("Retry-After is honoured when longer than the backoff, up to 5 s")
    func retryAfter() async throws {
        let clock = RecordingRetryClock()
        try await LiveServers.with(retryClock: clock) { servers in
            for retryAfter in ["2", "30", "0"] {
                let headers = failing(
                    1, ["x-mock-status": "429", "x-mock-retry-after": retryAfter, "cf-aig-max-attempts": "2",
                        "cf-aig-retry-delay": "100"])
                let answer = try await servers.send(servers.url("openai/chat/completions"), headers: headers, body: chat)
                #expect(answer.status == 200)
            }
        }
        #expect(clock.recorded == [.milliseconds(2000), .milliseconds(5000), .milliseconds(100)])
    }

    @Test("a 400 is never retried; a 500 on the last attempt comes back as the provider sent it")
    func notRetried() async throws {
        try await LiveServers.with { servers in
            let bad = failing(5, ["x-mock-status": "400", "cf-aig-max-attempts": "3"])
            let refused = try await servers.send(servers.url("openai/chat/completions"), headers: bad, body: chat)
            #expect(refused.status == 400 && refused.body.contains("mock upstream fault"))
            #expect(try await mockSaw(servers, sequence: bad["x-mock-sequence"]) == 1)

            let broken = failing(5, ["x-mock-status": "500", "cf-aig-max-attempts": "2"])
            let failed = try await servers.send(servers.url("openai/chat/completions"), headers: broken, body: chat)
            #expect(failed.status == 500 && failed.body.contains("mock upstream fault: status 500"))
            #expect(try await mockSaw(servers, sequence: broken["x-mock-sequence"]) == 2)
        }
    }

    @Test("a timeout to the first byte is retried, and the request body is replayed whole on each attempt")
    func timeoutRetriedBodyReplayed() async throws {
        try await LiveServers.with { servers in
            let headers = failing(1, ["x-mock-hang": "true", "cf-aig-max-attempts": "2", "cf-aig-request-timeout": "1000"])
            let answer = try await servers.send(servers.url("openai/chat/completions"), headers: headers, body: chat)
            #expect(answer.status == 200)
            let seen = try await servers.mockRequests().filter {
                ($0["headers"] as? [String: String])?["x-mock-sequence"] == headers["x-mock-sequence"]
            }
            #expect(seen.count == 2 && seen.allSatisfy { $0["body"] as? String == chat })
            let logs = try await servers.storedLogs()
            #expect(logs.map(\.statusCode) == [504, 200])
            #expect(logs[0].error?.contains("attempt 1 of 2; retried") == true, "\(logs[0].error ?? "")")
        }
    }

    @Test("an unreachable provider is retried too, then answers 502")
    func unreachableRetried() async throws {
        try await LiveServers.with(configure: { configuration in
            configuration.providers["groq"] = ProviderOverride(baseURL: "http://127.0.0.1:1/openai/v1")
        }) { servers in
            let answer = try await servers.send(
                servers.url("groq/chat/completions"), headers: ["cf-aig-max-attempts": "3"], body: chat)
            #expect(answer.status == 502)
            #expect(try await servers.storedLogs().map(\.statusCode) == [502, 502, 502])
        }
    }

    @Test("the gateway's retry settings apply when the request sets none; the request's headers win over them")
    func gatewaySettingsAndPrecedence() async throws {
        let clock = RecordingRetryClock()
        try await LiveServers.with(
            configure: { configuration in
                var settings = GatewaySettings(id: "retrying")
                settings.retryMaxAttempts = 3
                settings.retryDelay = 50
                settings.retryBackoff = "linear"
                configuration.gateways["retrying"] = settings
            }, retryClock: clock
        ) { servers in
            let byGateway = failing(2)
            let url = servers.url("openai/chat/completions", gateway: "retrying")
            let retried = try await servers.send(url, headers: byGateway, body: chat)
            let retriedCalls = try await mockSaw(servers, sequence: byGateway["x-mock-sequence"])
            #expect(retried.status == 200 && retriedCalls == 3)
            #expect(clock.recorded == [.milliseconds(50), .milliseconds(100)])

            let byRequest = failing(2, ["cf-aig-max-attempts": "1"])
            let once = try await servers.send(url, headers: byRequest, body: chat)
            let onceCalls = try await mockSaw(servers, sequence: byRequest["x-mock-sequence"])
            #expect(once.status == 503 && onceCalls == 1)
        }
    }
}

@Suite("Universal steps: retries within a step, then fallback to the next, with SPEC's precedence")
struct UniversalRetryTests {
    func step(_ headers: [String: String], config: String? = nil) -> String {
        let headerJSON = headers.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
        return #"{"provider":"openai","endpoint":"chat/completions","headers":{\#(headerJSON)},"query":{"model":"m","messages":[]}\#(config.map { ",\"config\":\($0)" } ?? "")}"#
    }

    func universal(_ servers: LiveServers, _ body: String, headers: [String: String] = [:]) async throws -> LiveServers.Answer {
        try await servers.send("\(servers.gateway)/v1/local/test-gw", headers: headers, body: body)
    }

    @Test("a step retries before falling back: config maxAttempts 2 with one failure stays on step 0")
    func retryWithinStep() async throws {
        try await LiveServers.with { servers in
            let sequence = UUID().uuidString
            let first = step(["x-mock-fail-first": "1", "x-mock-sequence": sequence], config: #"{"maxAttempts":2}"#)
            let answer = try await universal(servers, "[\(first),\(step([:]))]")
            #expect(answer.status == 200 && answer.headers["cf-aig-step"] == "0")
            let logs = try await servers.storedLogs()
            #expect(logs.map(\.step) == [0, 0] && logs.map(\.statusCode) == [503, 200])
        }
    }

    @Test("precedence: step config over step headers over request headers over the gateway")
    func precedence() async throws {
        let clock = RecordingRetryClock()
        try await LiveServers.with(retryClock: clock) { servers in
            // Request says 5 attempts with 300 ms; the step's header says 2 with 200 ms; its config says delay 10.
            let sequence = UUID().uuidString
            let only = step(
                ["x-mock-fail-first": "9", "x-mock-sequence": sequence, "cf-aig-max-attempts": "2", "cf-aig-retry-delay": "200"],
                config: #"{"retryDelay":10}"#)
            let answer = try await universal(
                servers, "[\(only)]", headers: ["cf-aig-max-attempts": "5", "cf-aig-retry-delay": "300"])
            #expect(answer.status == 503 && answer.headers["cf-aig-step"] == "0")
            let logs = try await servers.storedLogs()
            #expect(logs.count == 2)
            #expect(clock.recorded == [.milliseconds(10)])
        }
    }

    @Test("a step's cf-aig-* header with a bad value is a 400 naming the step, before any upstream call")
    func badStepHeader() async throws {
        try await LiveServers.with { servers in
            let answer = try await universal(servers, "[\(step([:])),\(step(["cf-aig-max-attempts": "9"]))]")
            #expect(answer.status == 400 && answer.body.contains("step 1: headers") && answer.body.contains("cf-aig-max-attempts"))
            let calls = try await servers.mockCount()
            #expect(calls == 0)
        }
    }
}
