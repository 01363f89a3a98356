import AIGateway
import Foundation
import PropertyBased
import Synchronization
import TestSupport
import Testing

@testable import GatewayCore

/// Fuzzing the management API's readers of spend rules and custom providers with bodies built
/// from their own fields and hostile values: whatever comes, the answer is a value within the
/// rules' bounds, or a 400 naming the field. Both outcomes must be reached.
@Suite("Fuzz: spend_limits and custom provider bodies")
struct SettingsInputFuzzTests {
    /// Builds JSON from a list of choices: each value takes the next choice.
    struct Builder {
        var choices: [Int]
        var next = 0
        mutating func pick(_ count: Int) -> Int {
            defer { next += 1 }
            return choices.isEmpty ? 0 : choices[next % choices.count] % count
        }
        mutating func value(_ pool: [JSONValue]) -> JSONValue { pool[pick(pool.count)] }
        mutating func object(_ fields: [String: [JSONValue]], extra: [String] = ["region", "", "<b>"]) -> JSONValue {
            var members: [String: JSONValue] = [:]
            for (key, pool) in fields.sorted(by: { $0.key < $1.key }) where pick(3) != 0 { members[key] = value(pool) }
            if pick(12) == 0 { members[extra[pick(extra.count)]] = .string("x") }
            return .object(members)
        }
    }

    static let hostileText: [JSONValue] = [
        "", "a b", "<script>", "x", "rule-1", "sliding", "fixed", "\r\n", "é", .string(String(repeating: "y", count: 70)), .null, 1, true,
    ]
    static let numbers: [JSONValue] = [0, -1, 0.5, 1, 86400, 1.5, 1e308, 31_622_401, "5", .null]
    static let filters: [JSONValue] = [
        ["mode": "filter", "values": ["openai"]], ["mode": "filter", "values": []], ["mode": "partition"], ["mode": "filter"],
        ["mode": "filter", "values": [1]], [:], "openai", .null,
    ]

    static func spendLimits(_ choices: [Int]) -> JSONValue {
        var builder = Builder(choices: choices)
        let ruleCount = builder.pick(23)
        var rules: [JSONValue] = []
        for _ in 0..<ruleCount {
            if builder.pick(4) == 0 {
                rules.append(builder.value(hostileText))
                continue
            }
            var rule = builder.object([
                "id": hostileText, "limit": numbers, "window": numbers, "technique": hostileText, "limitType": ["cost", "requests"],
                "provider": filters, "model": filters, "enabled": [true, false, "yes"],
                "metadata": [["user": ["mode": "partition"]], ["team": ["mode": "filter", "values": ["a"]]], ["u": ["mode": "x"]], [:], []],
            ])
            // Most rules get the required fields, so the deeper checks are reached.
            if builder.pick(4) != 0, case .object(var members) = rule {
                members["limit"] = members["limit"] ?? 1
                members["window"] = members["window"] ?? 60
                rule = .object(members)
            }
            rules.append(rule)
        }
        switch builder.pick(8) {
        case 0: return builder.value(hostileText)
        case 1: return ["rules": .array(rules), "budget": 1]
        default: return ["enabled": builder.value([true, false, "on"]), "rules": .array(rules)]
        }
    }

    @Test("any spend_limits body parses into rules within bounds, or is refused naming spend_limits")
    func spendLimits() async {
        let reached = Mutex((parsed: 0, refused: 0))
        await propertyCheck(count: FuzzInputs.count, input: Gen.int(in: 0...10_000).array(of: 1...80)) { choices in
            do {
                guard let limits = try SpendLimitsInput.parse(Self.spendLimits(choices)) else { return }
                reached.withLock { $0.parsed += 1 }
                #expect(limits.rules.count <= SpendLimits.maximumRules)
                #expect(Set(limits.rules.map(\.id)).count == limits.rules.count)
                for rule in limits.rules {
                    #expect(rule.limit > 0 && rule.limit.isFinite && rule.window >= 1 && SpendLimitsInput.isRuleID(rule.id))
                }
            } catch let error as ManagementError {
                reached.withLock { $0.refused += 1 }
                #expect(error.httpStatus == 400 && error.message.hasPrefix("spend_limits"), "\(error.message)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        let counts = reached.withLock { $0 }
        #expect(counts.parsed > 0 && counts.refused > 0, "\(counts)")
    }

    static let urls: [JSONValue] = [
        "https://api.example.com/v1", "http://127.0.0.1:1/v1", "http://localhost/v1", "http://10.0.0.1/v1", "ftp://x/v1",
        "https://u:p@x/v1", "https://x/v1?k=1", "https://x/{account_id}", "https://x/v1\r\nX: y", "https:///v1", "", .null,
    ]
    static let headerObjects: [JSONValue] = [
        #"{"x-k":"v"}"#, ["x-k": "v"], ["bad name": "v"], ["x-k": "v\r\nInjected: 1"], ["host": "evil"], ["x-k": 1], "not json",
        .null, [:],
    ]

    @Test("any custom provider body gives a provider whose base URL and headers the upstream encoder accepts, or a 400")
    func customProviders() async {
        let reached = Mutex((parsed: 0, refused: 0))
        await propertyCheck(count: FuzzInputs.count, input: Gen.int(in: 0...10_000).array(of: 1...40)) { choices in
            var builder = Builder(choices: choices)
            guard
                case .object(var members) = builder.object([
                    "name": Self.hostileText, "slug": ["acme", "Acme", "a-b", "-a", "a b", ""], "base_url": Self.urls, "headers": Self.headerObjects,
                    "enable": [true, false, 1], "position": Self.numbers, "description": Self.hostileText,
                ])
            else { return }
            if builder.pick(3) != 0 {
                members["name"] = members["name"] ?? "Acme"
                members["slug"] = members["slug"] ?? "acme"
                members["base_url"] = members["base_url"] ?? "https://api.example.com/v1"
            }
            let blank = CustomProvider(id: "p", slug: "", name: "", baseURL: "", createdAt: Date())
            do {
                let change = try CustomProviderInput.apply(members, to: blank)
                reached.withLock { $0.parsed += 1 }
                #expect(CustomProviderInput.baseURLProblem(change.provider.baseURL) == nil)
                for (name, value) in change.headers ?? [:] {
                    #expect(name.utf8.allSatisfy(UpstreamRequestEncoder.isTokenByte) && !value.contains("\r") && !value.contains("\n"))
                }
            } catch let error as ManagementError {
                reached.withLock { $0.refused += 1 }
                #expect(error.httpStatus == 400)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        let counts = reached.withLock { $0 }
        #expect(counts.parsed > 0 && counts.refused > 0, "\(counts)")
    }
}
