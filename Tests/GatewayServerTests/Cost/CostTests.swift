import AIGateway
import Foundation
import GatewayCore
import Testing

@Suite("Cost on logs: from the price table, whole and streamed, replaced by cf-aig-custom-cost")
struct CostTests {
    let chat = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#

    func close(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) < 1e-12 } ?? false }

    @Test("OpenAI whole and streamed (usage chunk), Anthropic streamed: cost from the table")
    func tableCost() async throws {
        try await LiveServers.with { servers in
            let whole = try await servers.send(servers.url("openai/chat/completions"), body: chat)
            let wholeLog = try #require(try await servers.storedLog(whole.logID))
            #expect(close(wholeLog.cost, (11 * 0.15 + 7 * 0.6) / 1e6), "\(wholeLog.cost ?? -1)")
            #expect(wholeLog.customCost == false)

            let streamed = try await servers.send(
                servers.url("openai/chat/completions"),
                body: #"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#)
            let streamedLog = try #require(try await servers.storedLog(streamed.logID))
            #expect(close(streamedLog.cost, (11 * 2.5 + 7 * 10) / 1e6), "\(streamedLog.cost ?? -1)")

            let anthropic = try await servers.send(
                servers.url("anthropic/v1/messages"), headers: ["x-api-key": "k"],
                body: #"{"model":"claude-3-5-haiku-latest","max_tokens":8,"stream":true,"messages":[]}"#)
            let anthropicLog = try #require(try await servers.storedLog(anthropic.logID))
            #expect(close(anthropicLog.cost, (13 * 0.8 + 9 * 4) / 1e6), "\(anthropicLog.cost ?? -1)")
        }
    }

    @Test("cf-aig-custom-cost replaces the table's cost and sets custom_cost; a bad one is a 400 naming it")
    func customCost() async throws {
        try await LiveServers.with { servers in
            let perToken = try await servers.send(
                servers.url("openai/chat/completions"),
                headers: ["cf-aig-custom-cost": #"{"per_token_in":0.001,"per_token_out":0.002}"#], body: chat)
            let perTokenLog = try #require(try await servers.storedLog(perToken.logID))
            #expect(close(perTokenLog.cost, 11 * 0.001 + 7 * 0.002) && perTokenLog.customCost == true)

            let total = try await servers.send(
                servers.url("openai/chat/completions"), headers: ["cf-aig-custom-cost": #"{"total_cost":0.25}"#], body: chat)
            #expect(close(try await servers.storedLog(total.logID)?.cost, 0.25))

            let bad = try await servers.send(
                servers.url("openai/chat/completions"), headers: ["cf-aig-custom-cost": #"{"cost":1}"#], body: chat)
            #expect(bad.status == 400 && bad.body.contains("cf-aig-custom-cost"))
            let calls = try await servers.mockCount()
            #expect(calls == 2)
        }
    }

    @Test("a configured price overrides the shipped one; an unpriced model has no cost")
    func configuredPrice() async throws {
        try await LiveServers.with(configure: { $0.prices["openai/gpt-4o-mini"] = ModelPrice(input: 1000, output: 2000) }) { servers in
            let answer = try await servers.send(servers.url("openai/chat/completions"), body: chat)
            #expect(close(try await servers.storedLog(answer.logID)?.cost, (11 * 1000 + 7 * 2000) / 1e6))
            let unpriced = try await servers.send(
                servers.url("openai/chat/completions"), body: #"{"model":"my-finetune","messages":[]}"#)
            let log = try #require(try await servers.storedLog(unpriced.logID))
            #expect(log.cost == nil && log.tokensIn == 11)
        }
    }
}
