import AIGateway
import Foundation
import GatewayCore
import Testing

@Suite("Log management through a live gateway: the limit holds, answers keep their log ids")
struct LogManagementEndToEndTests {
    let chat = #"{"model":"gpt-4o-mini","messages":[]}"#

    func limited(_ keep: Int, _ strategy: String) -> @Sendable (inout GatewayConfiguration) -> Void {
        { configuration in
            var settings = GatewaySettings(id: "kept")
            settings.logManagement = keep
            settings.logManagementStrategy = strategy
            configuration.gateways["kept"] = settings
        }
    }

    @Test("DELETE_OLDEST: 30 requests at once leave the newest 5 logs")
    func deleteOldest() async throws {
        try await LiveServers.with(configure: limited(5, "DELETE_OLDEST")) { servers in
            let ids = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<30 { group.addTask { try await servers.send(servers.url("openai/chat/completions", gateway: "kept"), body: chat).logID } }
                return try await group.reduce(into: [String]()) { if let id = $1 { $0.append(id) } }
            }
            #expect(ids.count == 30)
            let stored = try await servers.storedLogs(gateway: "kept").map(\.id)
            #expect(stored.count == 5)
            // Log ids are ULIDs: the newest sort last.
            #expect(Set(stored) == Set(ids.sorted().suffix(5)))
        }
    }

    @Test("STOP_INSERTING: answers past the limit still carry a log id; those logs are not stored, and counted")
    func stopInserting() async throws {
        try await LiveServers.with(configure: limited(3, "STOP_INSERTING")) { servers in
            var ids: [String] = []
            for _ in 0..<8 {
                let answer = try await servers.send(servers.url("openai/chat/completions", gateway: "kept"), body: chat)
                #expect(answer.status == 200)
                ids.append(try #require(answer.logID))
            }
            let stored = try await servers.storedLogs(gateway: "kept").map(\.id)
            #expect(stored == Array(ids.prefix(3)))
            let metrics = try await servers.send(.GET, "\(servers.gateway)/metrics").body
            #expect(metrics.contains(#"aigw_logs_not_stored_total{reason="log_management"} 5"#))
        }
    }
}
