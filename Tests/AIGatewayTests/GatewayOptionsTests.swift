import AIGateway
import Foundation
import Testing

@Suite("Binding options: every gateway option becomes its cf-aig-* header")
struct GatewayOptionsTests {
    @Test("all options, in a fixed order")
    func headers() {
        let options = GatewayOptions(
            id: "g", skipCache: true, cacheTtl: 60, cacheKey: "k1", metadata: ["user": "123"], collectLog: false,
            eventId: "evt-1", requestTimeoutMs: 2500,
            retries: .init(maxAttempts: 3, retryDelayMs: 200, backoff: .exponential))
        let headers = Dictionary(uniqueKeysWithValues: options.headers.map { ($0.name, $0.value) })
        #expect(
            headers == [
                "cf-aig-skip-cache": "true", "cf-aig-cache-ttl": "60", "cf-aig-cache-key": "k1",
                "cf-aig-metadata": #"{"user":"123"}"#, "cf-aig-collect-log": "false", "cf-aig-event-id": "evt-1",
                "cf-aig-request-timeout": "2500", "cf-aig-max-attempts": "3", "cf-aig-retry-delay": "200",
                "cf-aig-backoff": "exponential",
            ])
        #expect(GatewayOptions(id: "g").headers.isEmpty)
    }

    @Test("a log decodes from the management API, metadata as text or as an object")
    func logDecoding() throws {
        let text = #"{"id":"01J","provider":"openai","model":"m","path":"p","duration":3,"success":true,"cached":false,"created_at":"2025-01-31T12:00:00.123Z","metadata":"{\"user\":\"1\"}"}"#
        let log = try WireFormat.decoder().decode(AIGatewayLog.self, from: Data(text.utf8))
        #expect(log.metadata == ["user": "1"])
        #expect(abs(log.createdAt.timeIntervalSince1970 - 1_738_324_800.123) < 0.0005)
        let object = text.replacingOccurrences(of: #""{\"user\":\"1\"}""#, with: #"{"user":"1"}"#)
        #expect(try WireFormat.decoder().decode(AIGatewayLog.self, from: Data(object.utf8)).metadata == ["user": "1"])
    }
}
