import ArgumentParser
import GatewayCore
import GatewayServer
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The process entry: the heap and logging are set up before anything else runs. (Each
/// request is answered in a task that prefers its connection's event loop, an
/// `EventLoopTaskExecutor`; everything else runs on Swift's own executor.)
@main
enum Entry {
    static func main() async {
        limitMallocArenas()
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label) }
        await AIGW.main()
    }
}

/// Two malloc arenas, not eight per core: the event loops and the log writer's threads
/// otherwise each grow their own, which after a burst (1,000 streams) kept ~4 MB more
/// resident, for no throughput (the benchmark's requests per second were the same).
/// `mallopt` is not in Swift's Glibc module, so it is looked up by name.
private func limitMallocArenas() {
    #if canImport(Glibc)
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    let mArenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>
    if let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") {
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mArenaMax, 2)
    }
    #endif
}

/// The `aigw` command line.
struct AIGW: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aigw",
        abstract: "A self-hosted AI gateway that speaks Cloudflare AI Gateway's URLs, headers and API.",
        version: "aigw \(GatewayVersion.current) (development)",
        subcommands: [
            Serve.self, MockUpstream.self, LogsCommand.self, GatewaysCommand.self, TokensCommand.self, URLCommand.self,
            SpendCommand.self, LogManagementCommand.self, RoutesCommand.self, KeysCommand.self, BenchLogs.self,
        ],
        defaultSubcommand: Serve.self)
}
