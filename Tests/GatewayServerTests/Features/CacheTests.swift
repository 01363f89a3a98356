import AIGateway
import AsyncHTTPClient
import Foundation
import GatewayCore
import NIOCore
import Testing

@Suite("Cache end to end: hits without the provider, streams replayed, identical requests coalesced")
struct CacheTests {
    let chat = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"cache me"}]}"#

    func post(_ servers: LiveServers, _ headers: [String: String] = [:], body: String? = nil, gateway: String = "test-gw")
        async throws -> LiveServers.Answer
    {
        try await servers.send(
            servers.url("openai/chat/completions", gateway: gateway),
            headers: ["authorization": "Bearer sk-1"].merging(headers) { $1 }, body: body ?? chat)
    }

    @Test("MISS then HIT: the hit never reaches the provider, is logged as cached, with tokens and cost")
    func missThenHit() async throws {
        try await LiveServers.with { servers in
            let first = try await post(servers, ["cf-aig-cache-ttl": "60"])
            let second = try await post(servers, ["cf-aig-cache-ttl": "60"])
            #expect(first.headers["cf-aig-cache-status"] == "MISS" && second.headers["cf-aig-cache-status"] == "HIT")
            #expect(second.status == 200 && second.body == first.body)
            #expect(try await servers.mockCount() == 1)
            let hit = try #require(try await servers.storedLog(second.logID))
            #expect(hit.cached && hit.success && hit.tokensIn == 11 && hit.tokensOut == 7 && hit.cost != nil)
            #expect(try await servers.storedLog(first.logID)?.cached == false)
        }
    }

    @Test("a streamed answer is kept and replayed as the same stream")
    func streamReplayed() async throws {
        try await LiveServers.with { servers in
            let body = #"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#
            let first = try await post(servers, ["cf-aig-cache-ttl": "60", "x-mock-chunks": "6"], body: body)
            let second = try await post(servers, ["cf-aig-cache-ttl": "60", "x-mock-chunks": "6"], body: body)
            #expect(second.headers["cf-aig-cache-status"] == "HIT" && second.headers["content-type"] == "text/event-stream")
            #expect(second.body == first.body && second.body.hasSuffix("data: [DONE]\n\n"))
            #expect(try await servers.mockCount() == 1)
            let hit = try #require(try await servers.storedLog(second.logID))
            #expect(hit.cached && hit.requestType == "stream" && hit.tokensOut == 7)
        }
    }

    @Test("what does not share an entry: another body, another key, skip-cache; cf-aig-cache-key shares across bodies")
    func keysAndSkipping() async throws {
        try await LiveServers.with { servers in
            _ = try await post(servers, ["cf-aig-cache-ttl": "60"])
            let otherKey = try await post(servers, ["cf-aig-cache-ttl": "60", "authorization": "Bearer sk-2"])
            let skipped = try await post(servers, ["cf-aig-cache-ttl": "60", "cf-aig-skip-cache": "true"])
            #expect(otherKey.headers["cf-aig-cache-status"] == "MISS" && skipped.headers["cf-aig-cache-status"] == nil)
            let custom1 = try await post(servers, ["cf-aig-cache-ttl": "60", "cf-aig-cache-key": "greeting"], body: #"{"model":"a"}"#)
            let custom2 = try await post(servers, ["cf-aig-cache-ttl": "60", "cf-aig-cache-key": "greeting"], body: #"{"model":"b"}"#)
            #expect(custom1.headers["cf-aig-cache-status"] == "MISS" && custom2.headers["cf-aig-cache-status"] == "HIT")
            #expect(try await servers.mockCount() == 4)
        }
    }

    @Test("only 2xx answers are kept")
    func errorsNotKept() async throws {
        try await LiveServers.with { servers in
            let failed = try await post(servers, ["cf-aig-cache-ttl": "60", "x-mock-status": "503"])
            let again = try await post(servers, ["cf-aig-cache-ttl": "60", "x-mock-status": "503"])
            #expect(failed.status == 503 && failed.headers["cf-aig-cache-status"] == "MISS")
            let calls = try await servers.mockCount()
            #expect(again.headers["cf-aig-cache-status"] == "MISS" && calls == 2)
        }
    }

    @Test("the gateway's cache_ttl applies without a header; cache_invalidate_on_update clears on a settings change")
    func gatewayTTLAndInvalidation() async throws {
        try await LiveServers.with(configure: { configuration in
            var settings = GatewaySettings(id: "cached")
            settings.cacheTTL = 300
            settings.cacheInvalidateOnUpdate = true
            configuration.gateways["cached"] = settings
        }) { servers in
            _ = try await post(servers, gateway: "cached")
            #expect(try await post(servers, gateway: "cached").headers["cf-aig-cache-status"] == "HIT")
            let updated = try await servers.send(
                .PUT, "\(servers.gateway)/client/v4/accounts/local/ai-gateway/gateways/cached", body: #"{"cache_ttl":600}"#)
            #expect(updated.status == 200)
            #expect(try await post(servers, gateway: "cached").headers["cf-aig-cache-status"] == "MISS")
        }
    }

    @Test("identical requests in flight at once make one upstream call; all get the same answer")
    func coalescing() async throws {
        try await LiveServers.with { servers in
            let answers = try await withThrowingTaskGroup(of: LiveServers.Answer.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await post(servers, ["cf-aig-cache-ttl": "60", "x-mock-latency-ms": "300"]) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.status == 200 && $0.body == answers[0].body })
            #expect(answers.filter { $0.headers["cf-aig-cache-status"] == "MISS" }.count == 1)
            #expect(try await servers.mockCount() == 1)
            #expect(try await servers.storedLogs().filter(\.cached).count == 19)
        }
    }

    @Test("streams are coalesced too: followers get each chunk as the leader's arrives")
    func coalescedStream() async throws {
        try await LiveServers.with { servers in
            let gate = UUID().uuidString
            let body = #"{"model":"gpt-4o","stream":true,"messages":[]}"#
            func streamed() -> HTTPClientRequest {
                var request = HTTPClientRequest(url: servers.url("openai/chat/completions"))
                request.method = .POST
                for (name, value) in ["content-type": "application/json", "cf-aig-cache-ttl": "60", "x-mock-gate": gate] {
                    request.headers.add(name: name, value: value)
                }
                request.body = .bytes(ByteBuffer(string: body))
                return request
            }
            // The leader's stream stops after its first chunk until the gate opens; a follower
            // that arrives meanwhile already receives that first chunk.
            let leader = try await HTTPClient.shared.execute(streamed(), timeout: .seconds(30))
            var leaderChunks = leader.body.makeAsyncIterator()
            let firstLeaderChunk = try #require(try await leaderChunks.next())
            let follower = try await HTTPClient.shared.execute(streamed(), timeout: .seconds(30))
            #expect(follower.headers.first(name: "cf-aig-cache-status") == "HIT")
            var followerChunks = follower.body.makeAsyncIterator()
            let firstFollowerChunk = try #require(try await followerChunks.next())
            #expect(String(buffer: firstFollowerChunk) == String(buffer: firstLeaderChunk))
            _ = try await servers.send(.POST, "\(servers.mock)/_mock/release/\(gate)")
            var rest = ""
            while let chunk = try await followerChunks.next() { rest += String(buffer: chunk) }
            while try await leaderChunks.next() != nil {}
            #expect(rest.hasSuffix("data: [DONE]\n\n"))
            #expect(try await servers.mockCount() == 1)
        }
    }

    @Test("bad cache headers are 400s naming the header", arguments: [
        ("cf-aig-cache-ttl", "0"), ("cf-aig-cache-ttl", "-5"), ("cf-aig-cache-ttl", "2592001"), ("cf-aig-cache-ttl", "soon"),
        ("cf-aig-skip-cache", "maybe"), ("cf-cache-ttl", "0"),
    ])
    func badHeaders(header: String, value: String) async throws {
        try await LiveServers.with { servers in
            let answer = try await post(servers, [header: value])
            #expect(answer.status == 400 && answer.body.contains(header), "\(answer.body)")
        }
    }
}
