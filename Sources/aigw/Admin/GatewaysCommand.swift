import AIGateway
import ArgumentParser
import Foundation

/// `aigw gateways list|create|update|delete`.
struct GatewaysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateways", abstract: "List, create, change and delete gateways.",
        subcommands: [List.self, Create.self, Update.self, Delete.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List gateways.")
        @OptionGroup var server: ServerOptions
        @Option(name: .long, help: "Part of the id to look for.") var search: String?

        func run() async throws {
            try await runAdmin {
                let client = try server.client()
                var all: [GatewaySettings] = []
                var page = 1
                while true {
                    let result = try await client.listGateways(page: page, perPage: 100, search: search)
                    all += result.items
                    if result.items.isEmpty || all.count >= result.totalCount { break }
                    page += 1
                }
                if server.json { return try server.printJSON(all) }
                var table = TextTable(headers: ["ID", "LOGS", "CACHE TTL", "RATE LIMIT", "AUTH", "RETRIES"])
                for gateway in all {
                    let rate = gateway.rateLimitingLimit.map {
                        "\($0)/\(gateway.rateLimitingInterval ?? 0)s \(gateway.rateLimitingTechnique)"
                    }
                    table.rows.append([
                        gateway.id, gateway.collectLogs ? "on" : "off", gateway.cacheTTL.map { "\($0)s" } ?? "-",
                        rate ?? "-", gateway.authentication ? "on" : "off",
                        gateway.retryMaxAttempts.map(String.init) ?? "-",
                    ])
                }
                Console.line(table.render())
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a gateway, e.g. `aigw gateways create my-gw --set cache_ttl=60`.")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The gateway id.") var id: String
        @Option(name: .long, help: "A setting, key=value (repeatable; README, \"Management REST API\", lists them).") var set: [SettingArgument] = []

        func run() async throws {
            try await runAdmin {
                let gateway = try await server.client().createGateway(id: id, settings: settings(set))
                if server.json { return try server.printJSON(gateway) }
                Console.line("created gateway \(gateway.id)")
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change settings of a gateway; the others stay.")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The gateway id.") var id: String
        @Option(name: .long, help: "A setting, key=value (repeatable); value null resets it.") var set: [SettingArgument] = []

        func run() async throws {
            guard !set.isEmpty else { throw ValidationError("give at least one --set key=value") }
            try await runAdmin {
                let gateway = try await server.client().updateGateway(id: id, settings: settings(set))
                if server.json { return try server.printJSON(gateway) }
                Console.line("updated gateway \(gateway.id)")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a gateway and its logs.")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The gateway id.") var id: String

        func run() async throws {
            try await runAdmin {
                let gateway = try await server.client().deleteGateway(id: id)
                if server.json { return try server.printJSON(gateway) }
                Console.line("deleted gateway \(gateway.id)")
            }
        }
    }
}

private func settings(_ arguments: [SettingArgument]) -> [String: JSONValue] {
    Dictionary(arguments.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
}
