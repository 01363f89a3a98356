import ArgumentParser
import NIOCore
import NIOPosix

/// The process entry: Swift concurrency is put on SwiftNIO's event loops before anything
/// else runs, so that a request's handler and its network I/O share threads instead of
/// hopping between Swift's cooperative pool and NIO's loops at every step (on a 2-core
/// machine those hops cost more than the gateway's own work).
@main
enum Entry {
    static func main() async {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await AIGW.main()
    }
}

/// The `aigw` command line.
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
