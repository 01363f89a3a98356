import AIGateway
import ArgumentParser
import Foundation

/// `aigw tokens list|create|revoke`: run tokens for authenticated gateways.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Create, list and revoke run tokens of an authenticated gateway.",
        subcommands: [List.self, Create.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a gateway's run tokens (never their secrets).")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"

        func run() async throws {
            try await runAdmin {
                let tokens = try await server.client().listTokens(gateway: gateway)
                if server.json { return try server.printJSON(tokens) }
                var table = TextTable(headers: ["ID", "NAME", "CREATED"])
                for token in tokens {
                    table.rows.append([token.id, token.name, ISO8601DateFormatter().string(from: token.createdAt)])
                }
                Console.line(table.render())
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a run token. It is printed this once: keep it (send it as cf-aig-authorization: Bearer TOKEN).")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"
        @Option(name: .long, help: "A name for the token.") var name = "token"

        func run() async throws {
            try await runAdmin {
                let client = try server.client()
                let token = try await client.createToken(gateway: gateway, name: name)
                if server.json { return try server.printJSON(token) }
                Console.line("created token \(token.id) (\(token.name)) for gateway \(gateway); it is shown only now:")
                Console.line(token.token ?? "")
                if try await client.gateway(id: gateway).authentication == false {
                    Console.error(
                        "note: gateway \(gateway) does not require authentication, so this token changes nothing yet; "
                            + "turn it on with: aigw gateways update \(gateway) --set authentication=true")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a run token.")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"
        @Argument(help: "The token's id (from `aigw tokens list`).") var id: String

        func run() async throws {
            try await runAdmin {
                try await server.client().revokeToken(gateway: gateway, id: id)
                if server.json { return try server.printJSON(["revoked": id]) }
                Console.line("revoked token \(id)")
            }
        }
    }
}
