import ArgumentParser
import Foundation
import GatewayCore
import Hummingbird
import Logging
import MockUpstream

/// `aigw mock-upstream`: a local stand-in for the providers, for tests, benchmarks and
/// trying the gateway out with no internet and no API key.
struct MockUpstream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-upstream",
        abstract: "Run a mock of the OpenAI, Anthropic, Workers AI, Google and Cohere APIs.",
        discussion: """
            Faults and delays are asked for per request with headers (x-mock-status, x-mock-latency-ms, \
            x-mock-chunk-delay-ms, x-mock-chunks, x-mock-drop-after, x-mock-hang, x-mock-gate). \
            Point a gateway at it with: eval "$(aigw mock-upstream --print-env --port 9090)"
            """)

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on.")
    var port = 9090

    @Option(name: .long, help: "Milliseconds before every response head.")
    var latencyMs = 0

    @Option(name: .long, help: "Milliseconds between streamed chunks.")
    var chunkDelayMs = 0

    @Flag(name: .long, help: "Do not keep requests for GET /_mock/requests (fastest mode, for benchmarks).")
    var noRecord = false

    @Flag(name: .long, help: "Print the environment that points aigw at this mock, and exit.")
    var printEnv = false

    func run() async throws {
        let origin = "http://\(host):\(port)"
        if printEnv {
            for (slug, base) in MockUpstreamServer.providerBaseURLs(origin: origin).sorted(by: { $0.key < $1.key }) {
                print("export \(ProviderTable.environmentKey(for: slug))='\(base)'")
            }
            return
        }
        var logger = Logger(label: "aigw.mock-upstream")
        logger.logLevel = .warning
        let server = MockUpstreamServer(
            options: .init(latencyMs: latencyMs, chunkDelayMs: chunkDelayMs, recordRequests: !noRecord))
        let app = server.application(host: host, port: port, logger: logger) { port in
            Console.line("aigw mock upstream listening on http://\(host):\(port)")
        }
        try await app.runService()
    }
}
