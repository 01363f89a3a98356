import AIGateway
import Foundation
import Testing

@Suite("Pass-through: what crosses the gateway and what stays")
struct PassThroughTests {
    @Test("method, path, query, body and provider headers reach the upstream; cf-aig-*, Host and hop-by-hop do not")
    func forwarded() async throws {
        try await LiveServers.with { servers in
            let body = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"ping"}]}"#
            _ = try await servers.send(
                servers.url("openai/v1/chat/completions?foo=bar&x=1"),
                headers: [
                    "authorization": "Bearer sk-forward-me", "openai-organization": "org-1",
                    "cf-aig-metadata": #"{"a":1}"#, "cf-aig-event-id": "e1", "cf-aig-collect-log-payload": "true",
                    "cf-skip-cache": "true",
                ], body: body)
            let seen = try #require(try await servers.mockRequests().last)
            #expect(seen["method"] as? String == "POST")
            #expect(seen["path"] as? String == "/v1/chat/completions")
            #expect(seen["query"] as? String == "foo=bar&x=1")
            #expect(seen["body"] as? String == body)
            let headers = try #require(seen["headers"] as? [String: String])
            #expect(headers["authorization"] == "Bearer sk-forward-me")
            #expect(headers["openai-organization"] == "org-1")
            #expect(headers.keys.filter { $0.hasPrefix("cf-aig-") || $0.hasPrefix("cf-") }.isEmpty, "\(headers.keys)")
        }
    }

    @Test("upstream errors come back unchanged, status and body, and are logged as failures")
    func upstreamErrorPassedThrough() async throws {
        try await LiveServers.with { servers in
            let answer = try await servers.send(
                servers.url("anthropic/v1/messages"), headers: ["x-mock-status": "529", "x-mock-retry-after": "3"],
                body: #"{"model":"claude","max_tokens":5,"messages":[]}"#)
            #expect(answer.status == 529)
            #expect(answer.headers["retry-after"] == "3")
            #expect(answer.json["type"] as? String == "error")
            let log = try #require(try await servers.storedLog(answer.logID))
            #expect(log.statusCode == 529)
            #expect(!log.success)
        }
    }

    @Test("metadata and event id are stored; the event id is echoed")
    func metadataAndEventID() async throws {
        try await LiveServers.with { servers in
            let answer = try await servers.send(
                servers.url("openai/chat/completions"),
                headers: ["cf-aig-metadata": #"{"user":"u-42","team":"search","n":7,"beta":true,"none":null}"#,
                          "cf-aig-event-id": "evt-123"],
                body: #"{"model":"gpt-4o-mini","messages":[]}"#)
            #expect(answer.headers["cf-aig-event-id"] == "evt-123")
            let log = try #require(try await servers.storedLog(answer.logID))
            #expect(log.metadata == ["user": .string("u-42"), "team": .string("search"), "n": .number(7), "beta": .bool(true), "none": .null])
            #expect(log.eventID == "evt-123")
        }
    }

    @Test("cf-aig-collect-log: false leaves no log and no log id; the gateway's collect_logs off does too")
    func collectLogOff() async throws {
        try await LiveServers.with(configure: { configuration in
            var quiet = GatewaySettings(id: "quiet")
            quiet.collectLogs = false
            configuration.gateways["quiet"] = quiet
        }) { servers in
            let before = try await servers.parts.store.count(gatewayID: nil)
            let answer = try await servers.send(
                servers.url("openai/chat/completions"), headers: ["cf-aig-collect-log": "false"],
                body: #"{"model":"m","messages":[]}"#)
            #expect(answer.status == 200)
            #expect(answer.logID == nil)
            let quiet = try await servers.send(
                servers.url("openai/chat/completions", gateway: "quiet"), body: #"{"model":"m","messages":[]}"#)
            #expect(quiet.status == 200)
            #expect(quiet.logID == nil)
            // A logged request after them: once it is stored, the earlier ones would be too.
            let marker = try await servers.send(servers.url("openai/chat/completions"), body: #"{"model":"m","messages":[]}"#)
            _ = try #require(try await servers.storedLog(marker.logID))
            #expect(try await servers.parts.store.count(gatewayID: nil) == before + 1)
        }
    }

    @Test("cf-aig-collect-log-payload: false logs tokens but no bodies")
    func collectPayloadOff() async throws {
        try await LiveServers.with { servers in
            let answer = try await servers.send(
                servers.url("openai/chat/completions"), headers: ["cf-aig-collect-log-payload": "false"],
                body: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"private"}]}"#)
            let log = try #require(try await servers.storedLog(answer.logID))
            #expect(log.tokensIn == 11)
            #expect(log.model == "gpt-4o-mini")
            #expect(log.requestHead == nil && log.responseHead == nil)
            let bodies = try await servers.parts.store.bodies(of: log)
            #expect(bodies.request == nil && bodies.response == nil)
            let file = try Data(contentsOf: URL(fileURLWithPath: servers.databasePath))
            #expect(file.range(of: Data("private".utf8)) == nil)
        }
    }

    @Test("credentials are never stored: the database holds no trace of the key sent")
    func credentialsNotStored() async throws {
        try await LiveServers.with { servers in
            let secrets = ["sk-live-OPENAI-9f8e7d6c5b4a", "sk-ant-ANTHROPIC-1a2b3c4d", "GOOGLE-KEY-77aa88bb"]
            _ = try await servers.send(
                servers.url("openai/chat/completions"), headers: ["authorization": "Bearer \(secrets[0])"],
                body: #"{"model":"m","messages":[]}"#)
            _ = try await servers.send(
                servers.url("anthropic/v1/messages"), headers: ["x-api-key": secrets[1]],
                body: #"{"model":"m","max_tokens":1,"stream":true,"messages":[]}"#)
            let last = try await servers.send(
                servers.url("google-ai-studio/v1beta/models/g:generateContent"), headers: ["x-goog-api-key": secrets[2]],
                body: #"{"contents":[]}"#)
            _ = try #require(try await servers.storedLog(last.logID))
            // The store is still open: read the database and its write-ahead log.
            for suffix in ["", "-wal"] {
                let file = (try? Data(contentsOf: URL(fileURLWithPath: servers.databasePath + suffix))) ?? Data()
                for secret in secrets {
                    #expect(file.range(of: Data(secret.utf8)) == nil, "\(secret) found in database\(suffix)")
                }
            }
        }
    }
}
