import AIGateway
import ArgumentParser

/// `aigw url [provider]`: the URL to give a provider's SDK (or the gateway's base URL).
struct URLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "url", abstract: "Print a gateway's base URL, or the URL of a provider through it.")
    @OptionGroup var server: ServerOptions
    @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"
    @Argument(help: "A provider slug (openai, anthropic, workers-ai, ...).") var provider: String?

    func run() async throws {
        try await runAdmin {
            let url = try await server.client().url(gateway: gateway, provider: provider.map(ProviderSlug.init(rawValue:)))
            if server.json { return try server.printJSON(["url": url]) }
            Console.line(url)
        }
    }
}
