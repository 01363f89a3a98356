import AIGateway
import ArgumentParser
import Foundation

/// `aigw keys list|add|remove`: a gateway's stored provider keys (BYOK), through the
/// management API. The server seals them with its master key; they are never shown again.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Store, list and remove a gateway's provider keys (the server needs a master key).",
        subcommands: [List.self, Add.self, Remove.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a gateway's stored provider keys (never their secrets).")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"

        func run() async throws {
            try await runAdmin {
                let keys = try await server.client().listProviderKeys(gateway: gateway)
                if server.json { return try server.printJSON(keys) }
                var table = TextTable(headers: ["ID", "PROVIDER", "ALIAS", "DEFAULT", "CREATED"])
                for key in keys {
                    table.rows.append([
                        key.id, key.providerSlug, key.alias, key.defaultConfig ? "yes" : "no", key.createdAt.formatted(.iso8601),
                    ])
                }
                Console.line(table.render())
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a provider key; requests without a key of their own use it.",
            discussion: "The secret is read from standard input (one line), so it stays out of the shell's history.")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"
        @Option(name: .long, help: "The provider's slug (openai, anthropic, ...).") var provider: String
        @Option(name: .long, help: "A name, chosen per request with cf-aig-byok-alias (default: default).") var alias = "default"

        func run() async throws {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("give the secret on standard input, e.g. printf %s \"$OPENAI_API_KEY\" | aigw keys add --provider openai")
            }
            try await runAdmin {
                let key = try await server.client().createProviderKey(gateway: gateway, provider: provider, secret: line, alias: alias)
                if server.json { return try server.printJSON(key) }
                Console.line("stored \(provider) key \(key.id) (alias \(key.alias)) for gateway \(gateway)")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a stored provider key.")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"
        @Argument(help: "The key's id (from `aigw keys list`).") var id: String

        func run() async throws {
            try await runAdmin {
                try await server.client().deleteProviderKey(gateway: gateway, id: id)
                if server.json { return try server.printJSON(["removed": id]) }
                Console.line("removed key \(id)")
            }
        }
    }
}
