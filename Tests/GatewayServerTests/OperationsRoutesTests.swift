import Foundation
import Testing

@Suite("Health, readiness and metrics")
struct OperationsRoutesTests {
    @Test("/healthz and /readyz answer 200 with the database reachable")
    func health() async throws {
        try await LiveServers.with { servers in
            #expect(try await servers.send(.GET, "\(servers.gateway)/healthz").status == 200)
            let ready = try await servers.send(.GET, "\(servers.gateway)/readyz")
            #expect(ready.status == 200)
            #expect(ready.json["database"] as? String == "ok")
        }
    }

    @Test("/metrics shows requests by provider and status, latencies, log queue depth and drops")
    func metrics() async throws {
        try await LiveServers.with { servers in
            let answer = try await servers.send(servers.url("openai/chat/completions"), body: #"{"model":"m"}"#)
            _ = try await servers.send(servers.url("anthropic/v1/messages"), headers: ["x-mock-status": "500"], body: "{}")
            _ = try #require(try await servers.storedLog(answer.logID))
            let text = try await servers.send(.GET, "\(servers.gateway)/metrics").body
            #expect(text.contains(#"aigw_requests_total{provider="openai",status="200"} 1"#), "\(text)")
            #expect(text.contains(#"aigw_requests_total{provider="anthropic",status="500"} 1"#))
            #expect(text.contains("aigw_upstream_latency_seconds_bucket"))
            #expect(text.contains("aigw_gateway_overhead_seconds_bucket"))
            #expect(text.contains("aigw_log_queue_depth"))
            #expect(text.contains("aigw_logs_dropped_total 0"))
            #expect(text.contains("aigw_logs_written_total"))
        }
    }
}
