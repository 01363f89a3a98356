import AIGateway
import HTTPTypes
import Testing

@testable import GatewayCore

@Suite("cf-aig-* request headers")
struct RequestDirectivesTests {
    func fields(_ pairs: [String: String]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs { fields[HTTPField.Name(name)!] = value }
        return fields
    }

    func rejection(_ pairs: [String: String]) -> GatewayError? {
        do {
            _ = try RequestDirectives(headers: fields(pairs))
            return nil
        } catch {
            return error as? GatewayError
        }
    }

    @Test("every header parses into its directive")
    func parses() throws {
        let directives = try RequestDirectives(
            headers: fields([
                "cf-aig-collect-log": "false", "cf-aig-collect-log-payload": "FALSE",
                "cf-aig-metadata": #"{"user":"u1","n":3,"ok":true,"none":null}"#, "cf-aig-event-id": "evt-1",
                "cf-aig-request-timeout": "1500", "cf-aig-cache-ttl": "60", "cf-aig-skip-cache": "true",
                "cf-aig-cache-key": "k", "cf-aig-max-attempts": "3", "cf-aig-retry-delay": "200",
                "cf-aig-backoff": "linear", "cf-aig-byok-alias": "prod",
            ]))
        #expect(directives.collectLog == false)
        #expect(directives.collectLogPayload == false)
        #expect(directives.metadata == ["user": .string("u1"), "n": .number(3), "ok": .bool(true), "none": .null])
        #expect(directives.eventID == "evt-1")
        #expect(directives.requestTimeoutMs == 1500)
        #expect(directives.cacheTTL == 60)
        #expect(directives.skipCache == true)
        #expect(directives.cacheKey == "k")
        #expect(directives.maxAttempts == 3)
        #expect(directives.retryDelayMs == 200)
        #expect(directives.backoff == "linear")
        #expect(directives.byokAlias == "prod")
    }

    @Test("no cf- header, no directives; names are matched whatever their case")
    func noneOrAnyCase() throws {
        let plain = try RequestDirectives(
            headers: fields(["authorization": "Bearer x", "content-type": "application/json", "x-cf-aig-skip-cache": "true"]))
        #expect(plain == RequestDirectives())
        let shouted = try RequestDirectives(headers: fields(["CF-AIG-SKIP-CACHE": "true", "Cf-Aig-Event-Id": "e"]))
        #expect(shouted.skipCache == true)
        #expect(shouted.eventID == "e")
    }

    @Test("legacy cf-cache-ttl and cf-skip-cache are accepted")
    func legacy() throws {
        let directives = try RequestDirectives(headers: fields(["cf-cache-ttl": "30", "cf-skip-cache": "true"]))
        #expect(directives.cacheTTL == 30)
        #expect(directives.skipCache == true)
    }

    @Test(
        "an unusable value is a 400 that names the header",
        arguments: [
            ("cf-aig-collect-log", "nope"),
            ("cf-aig-collect-log-payload", "1"),
            ("cf-aig-metadata", "not json"),
            ("cf-aig-metadata", "[1,2]"),
            ("cf-aig-metadata", #"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}"#),
            ("cf-aig-metadata", #"{"nested":{"a":1}}"#),
            ("cf-aig-metadata", #"{"list":[1]}"#),
            ("cf-aig-request-timeout", "soon"),
            ("cf-aig-request-timeout", "0"),
            ("cf-aig-cache-ttl", "0"),
            ("cf-aig-cache-ttl", "-5"),
            ("cf-aig-cache-ttl", "2592001"),
            ("cf-aig-max-attempts", "6"),
            ("cf-aig-retry-delay", "5001"),
            ("cf-aig-backoff", "fibonacci"),
            ("cf-aig-event-id", ""),
        ])
    func rejects(header: String, value: String) {
        let error = rejection([header: value])
        #expect(error?.httpStatus == 400)
        #expect(error?.message.contains(header) == true, "\(error?.message ?? "accepted")")
    }

    @Test("the metadata error says which entry is wrong and why")
    func metadataMessages() {
        #expect(rejection(["cf-aig-metadata": #"{"nested":{"a":1}}"#])?.message.contains("'nested'") == true)
        #expect(rejection(["cf-aig-metadata": #"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}"#])?.message.contains("6 entries") == true)
    }
}
