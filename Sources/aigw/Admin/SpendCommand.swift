import AIGateway
import ArgumentParser
import Foundation

/// `aigw spend show|add-rule|remove-rule`: a gateway's spend limits (SPEC section 11).
struct SpendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spend", abstract: "Show a gateway's spend against its limits; add and remove spend rules.",
        subcommands: [Show.self, AddRule.self, RemoveRule.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Where each spend rule's budget stands now, per partition.")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The gateway id.") var gateway: String

        func run() async throws {
            try await runAdmin {
                let standings = try await server.client().spend(gatewayID: gateway)
                if server.json { return try server.printJSON(standings) }
                if standings.isEmpty { return Console.line("gateway \(gateway) has no spend rules") }
                var table = TextTable(headers: ["RULE", "PARTITION", "LIMIT", "WINDOW", "SPENT", "REMAINING", "REFUSING FOR"])
                for standing in standings {
                    table.rows.append([
                        standing.ruleID, standing.partition.isEmpty ? "-" : standing.partition, dollars(standing.limit),
                        "\(standing.window)s \(standing.technique)", dollars(standing.spent), dollars(standing.remaining),
                        standing.retryAfter.map { "\($0)s" } ?? "-",
                    ])
                }
                Console.line(table.render())
            }
        }
    }

    struct AddRule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-rule",
            abstract: "Add (or replace, by id) a spend rule, e.g. `aigw spend add-rule my-gw --limit 5 --window 86400 --partition user`.")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The gateway id.") var gateway: String
        @Option(help: "The budget in USD.") var limit: Double
        @Option(help: "The window in seconds.") var window: Int
        @Option(help: "The rule's id (made from its scope when not given).") var id: String?
        @Option(help: "fixed or sliding.") var technique = "fixed"
        @Option(help: "Only requests to this provider (repeatable).") var provider: [String] = []
        @Option(help: "Only requests for this model (repeatable).") var model: [String] = []
        @Option(help: "One budget per value of this metadata key (repeatable).") var partition: [String] = []
        @Option(help: "Only requests whose metadata key has one of these values: key=v1,v2 (repeatable).") var filter: [String] = []

        func run() async throws {
            var rule: [String: JSONValue] = [
                "limit": .number(limit), "limitType": "cost", "window": .number(Double(window)), "technique": .string(technique),
            ]
            if let id { rule["id"] = .string(id) }
            if !provider.isEmpty { rule["provider"] = ["mode": "filter", "values": .array(provider.map(JSONValue.string))] }
            if !model.isEmpty { rule["model"] = ["mode": "filter", "values": .array(model.map(JSONValue.string))] }
            var metadata: [String: JSONValue] = [:]
            for key in partition { metadata[key] = ["mode": "partition"] }
            for entry in filter {
                guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                    throw ValidationError("--filter '\(entry)': write key=value[,value]")
                }
                let values = entry[entry.index(after: equals)...].split(separator: ",").map { JSONValue.string(String($0)) }
                metadata[String(entry[..<equals])] = ["mode": "filter", "values": .array(values)]
            }
            if !metadata.isEmpty { rule["metadata"] = .object(metadata) }
            try await runAdmin {
                let client = try server.client()
                var rules = try await currentRules(client, gateway)
                if let id { rules.removeAll { $0.objectValue?["id"]?.stringValue == id } }
                rules.append(.object(rule))
                let updated = try await client.updateGateway(
                    id: gateway, settings: ["spend_limits": ["enabled": true, "rules": .array(rules)]])
                if server.json { return try server.printJSON(updated.spendLimits) }
                Console.line("gateway \(gateway) has \(updated.spendLimits?.rules.count ?? 0) spend rules")
            }
        }
    }

    struct RemoveRule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-rule", abstract: "Remove a spend rule by id.")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The gateway id.") var gateway: String
        @Argument(help: "The rule's id (as `aigw spend show` lists it).") var rule: String

        func run() async throws {
            try await runAdmin {
                let client = try server.client()
                var rules = try await currentRules(client, gateway)
                let before = rules.count
                rules.removeAll { $0.objectValue?["id"]?.stringValue == rule }
                guard rules.count < before else { throw ValidationError("gateway \(gateway) has no spend rule '\(rule)'") }
                let updated = try await client.updateGateway(id: gateway, settings: ["spend_limits": ["enabled": true, "rules": .array(rules)]])
                if server.json { return try server.printJSON(updated.spendLimits) }
                Console.line("removed rule \(rule); gateway \(gateway) has \(updated.spendLimits?.rules.count ?? 0) spend rules")
            }
        }
    }
}

/// A gateway's spend rules as JSON, to send back changed.
private func currentRules(_ client: ManagementClient, _ gateway: String) async throws -> [JSONValue] {
    let settings = try await client.gateway(id: gateway)
    let encoded = try JSONEncoder().encode(settings.spendLimits?.rules ?? [])
    return try JSONValue(json: encoded).arrayValue ?? []
}

private func dollars(_ amount: Double) -> String { String(format: "$%.6f", amount) }
