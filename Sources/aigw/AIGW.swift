import ArgumentParser

/// The `aigw` command line.
@main
struct AIGW: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aigw",
        abstract: "A self-hosted AI gateway that speaks Cloudflare AI Gateway's URLs, headers and API.",
        subcommands: [
            Serve.self, MockUpstream.self, LogsCommand.self, GatewaysCommand.self, TokensCommand.self, URLCommand.self,
            BenchLogs.self,
        ],
        defaultSubcommand: Serve.self)
}
