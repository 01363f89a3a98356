import AIGateway
import Foundation
import GatewayCore
import Testing

@Suite("Universal endpoint: steps in order, fallback on failure, every attempt logged with its step")
struct UniversalEndpointTests {
    /// A step JSON object for the OpenAI chat endpoint, with mock fault headers.
    func openAIStep(_ faults: [String: String] = [:], config: String? = nil, stream: Bool = false) -> String {
        let headers = faults.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
        let configPart = config.map { #","config":\#($0)"# } ?? ""
        return #"{"provider":"openai","endpoint":"chat/completions","headers":{\#(headers)},"query":{"model":"gpt-4o-mini","stream":\#(stream),"messages":[]}\#(configPart)}"#
    }

    let anthropicStep =
        #"{"provider":"anthropic","endpoint":"v1/messages","headers":{"x-api-key":"k"},"query":{"model":"claude-3-5-haiku-latest","max_tokens":8,"messages":[]}}"#

    func universal(_ servers: LiveServers, _ body: String) async throws -> LiveServers.Answer {
        try await servers.send("\(servers.gateway)/v1/local/test-gw", body: body)
    }

    /// The steps of the logs of gateway test-gw, oldest first, with their status codes.
    func loggedSteps(_ servers: LiveServers) async throws -> [(step: Int, status: Int)] {
        await servers.parts.writer.flush()
        var query = LogQuery()
        query.descending = false
        return try await servers.parts.store.logs(gatewayID: "test-gw", query: query).logs.map { ($0.step ?? -1, $0.statusCode) }
    }

    @Test("a single step object is a Universal request too")
    func singleStep() async throws {
        try await LiveServers.with { servers in
            let answer = try await universal(servers, openAIStep())
            #expect(answer.status == 200 && answer.headers["cf-aig-step"] == "0" && answer.body.contains("chat.completion"))
        }
    }

    @Test("500 then 200: the second step answers, both attempts are logged")
    func errorThenSuccess() async throws {
        try await LiveServers.with { servers in
            let answer = try await universal(servers, "[\(openAIStep(["x-mock-status": "500"])),\(anthropicStep)]")
            #expect(answer.status == 200 && answer.headers["cf-aig-step"] == "1" && answer.body.contains("msg_mock"))
            let steps = try await loggedSteps(servers)
            #expect(steps.map(\.step) == [0, 1] && steps.map(\.status) == [500, 200])
        }
    }

    @Test("a hang then 200: the step's requestTimeout moves on to the next step")
    func hangThenSuccess() async throws {
        try await LiveServers.with { servers in
            let answer = try await universal(
                servers, "[\(openAIStep(["x-mock-hang": "true"], config: #"{"requestTimeout":200}"#)),\(anthropicStep)]")
            #expect(answer.status == 200 && answer.headers["cf-aig-step"] == "1")
            let steps = try await loggedSteps(servers)
            #expect(steps.map(\.step) == [0, 1] && steps.map(\.status) == [504, 200])
        }
    }

    @Test("all steps fail: the last step's answer comes back, with its step")
    func allFail() async throws {
        try await LiveServers.with { servers in
            let answer = try await universal(
                servers, "[\(openAIStep(["x-mock-status": "500"])),\(openAIStep(["x-mock-status": "429"]))]")
            #expect(answer.status == 429 && answer.headers["cf-aig-step"] == "1")
            let timedOut = try await universal(
                servers,
                "[\(openAIStep(["x-mock-status": "500"])),\(openAIStep(["x-mock-hang": "true"], config: #"{"requestTimeout":100}"#))]")
            #expect(timedOut.status == 504 && timedOut.headers["cf-aig-step"] == "1")
            #expect(timedOut.json["name"] as? String == "AiGatewayError" && timedOut.json["internalCode"] as? Int == 2005)
            #expect(try await loggedSteps(servers).map(\.step) == [0, 1, 0, 1])
        }
    }

    @Test("a streamed step that answers 200 is committed: its events come through")
    func streamedStep() async throws {
        try await LiveServers.with { servers in
            let answer = try await universal(servers, "[\(openAIStep(stream: true)),\(anthropicStep)]")
            #expect(answer.status == 200 && answer.headers["cf-aig-step"] == "0")
            #expect(answer.body.hasSuffix("data: [DONE]\n\n"))
        }
    }

    @Test("bad requests are refused before any upstream call, naming the step and field")
    func badRequests() async throws {
        try await LiveServers.with { servers in
            let before = try await servers.mockCount()
            for (body, text) in [
                ("[]", "no steps"), (#"[{"endpoint":"x","query":{}}]"#, "step 0: provider"),
                ("[\(openAIStep()),{\"provider\":\"nope\",\"endpoint\":\"x\",\"query\":{}}]", "step 1: provider"),
                (#"[{"provider":"openai","endpoint":"../../admin","query":{}}]"#, "step 0: endpoint"),
                (#"[{"provider":"openai","endpoint":"//evil.example/x","query":{}}]"#, "step 0: endpoint"),
                (openAIStep(config: #"{"maxAttempts":9}"#), "config.maxAttempts"),
            ] {
                let answer = try await universal(servers, body)
                #expect(answer.status == 400 && answer.json["internalCode"] as? Int == 2014, "\(body)")
                #expect((answer.json["message"] as? String ?? "").contains(text), "\(answer.body)")
            }
            #expect(try await servers.mockCount() == before)
        }
    }
}
