import AIGateway
import Foundation
import Testing

@testable import GatewayCore

@Suite("spend_limits settings: Cloudflare's shape accepted, every bad value a 400 naming its field")
struct SpendLimitsInputTests {
    func parse(_ json: String) throws -> SpendLimits? {
        try SpendLimitsInput.parse(try JSONValue(json: Data(json.utf8)))
    }

    func problem(_ json: String) -> String? {
        do {
            _ = try parse(json)
            return nil
        } catch let error as ManagementError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("the client's full rule shape reads back as given; a rule without an id gets one made from its scope")
    func fullShape() throws {
        let limits = try #require(
            try parse(
                #"{"enabled":true,"rules":[{"id":"daily","limit":5.5,"limitType":"cost","window":86400,"technique":"sliding","enabled":true,"provider":{"mode":"filter","values":["openai"]},"model":{"mode":"filter","values":["gpt-4o"]},"metadata":{"user":{"mode":"partition"},"team":{"mode":"filter","values":["a"]}}},{"limit":1,"limitType":"cost","window":60}]}"#
            ))
        #expect(limits.rules.count == 2)
        let daily = limits.rules[0]
        #expect(daily.id == "daily" && daily.limit == 5.5 && daily.isSliding && daily.window == 86_400)
        #expect(daily.provider?.values == ["openai"] && daily.model?.values == ["gpt-4o"])
        #expect(daily.metadata == ["user": .partition, "team": .filter(["a"])])
        #expect(limits.rules[1].id.hasPrefix("rule-") && limits.rules[1].technique == "fixed")
        // The same rule sent again keeps its id (and so its spend so far).
        #expect(try parse(#"{"rules":[{"limit":9,"window":60}]}"#)?.rules[0].id == limits.rules[1].id)
        #expect(try parse("null") == nil)
    }

    @Test("bad input names the field", arguments: [
        (#"{"rules":[{"limit":-1,"window":60}]}"#, "spend_limits.rules[0].limit"),
        (#"{"rules":[{"limit":0,"window":60}]}"#, "spend_limits.rules[0].limit"),
        (#"{"rules":[{"limit":1,"window":0}]}"#, "spend_limits.rules[0].window"),
        (#"{"rules":[{"limit":1,"window":1.5}]}"#, "spend_limits.rules[0].window"),
        (#"{"rules":[{"limit":1}]}"#, "spend_limits.rules[0].window"),
        (#"{"rules":[{"limit":1,"window":60,"region":{"mode":"filter","values":["eu"]}}]}"#, "spend_limits.rules[0].region"),
        (#"{"rules":[{"limit":1,"window":60,"limitType":"requests"}]}"#, "spend_limits.rules[0].limitType"),
        (#"{"rules":[{"limit":1,"window":60,"technique":"leaky"}]}"#, "spend_limits.rules[0].technique"),
        (#"{"rules":[{"limit":1,"window":60,"provider":{"mode":"partition"}}]}"#, "spend_limits.rules[0].provider"),
        (#"{"rules":[{"limit":1,"window":60,"model":{"mode":"filter","values":[]}}]}"#, "spend_limits.rules[0].model.values"),
        (#"{"rules":[{"limit":1,"window":60,"metadata":{"user":{"mode":"split"}}}]}"#, "spend_limits.rules[0].metadata.user"),
        (#"{"rules":[{"id":"a b","limit":1,"window":60}]}"#, "spend_limits.rules[0].id"),
        (#"{"rules":[{"id":"x","limit":1,"window":60},{"id":"x","limit":2,"window":60}]}"#, "spend_limits.rules[1].id"),
        (#"{"rules":{}}"#, "spend_limits.rules"),
        (#"{"budget":1}"#, "spend_limits.budget"),
        (#"[]"#, "spend_limits"),
    ])
    func badInput(json: String, field: String) {
        #expect(problem(json)?.hasPrefix(field + ":") == true, "\(problem(json) ?? "accepted")")
    }

    @Test("a 21st rule is refused")
    func tooManyRules() {
        let rules = (0..<21).map { #"{"id":"r\#($0)","limit":1,"window":60}"# }.joined(separator: ",")
        #expect(problem(#"{"rules":[\#(rules)]}"#)?.contains("at most 20") == true)
        let twenty = (0..<20).map { #"{"id":"r\#($0)","limit":1,"window":60}"# }.joined(separator: ",")
        #expect(problem(#"{"rules":[\#(twenty)]}"#) == nil)
    }
}
