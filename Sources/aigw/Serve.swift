import ArgumentParser
import Foundation
import GatewayCore
import GatewayServer
import Hummingbird
import Logging

/// `aigw serve`: runs the gateway until SIGTERM or SIGINT, then writes every accepted log and exits.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway (embedded SQLite in the working directory unless told otherwise).")

    @Option(name: .long, help: "A JSON configuration file.")
    var config: String?

    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on (default 8787; 0 picks a free one).")
    var port: Int?

    @Option(name: .long, help: "sqlite:PATH or a file path (default sqlite:aigw.sqlite).")
    var database: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var configuration: GatewayConfiguration
        do {
            configuration = try config.map(GatewayConfiguration.load(file:)) ?? GatewayConfiguration()
            try configuration.applyEnvironment(environment)
        } catch let error as ConfigurationError {
            throw ValidationError(error.message)
        }
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let database { configuration.database = database }

        var logger = Logger(label: "aigw")
        logger.logLevel = environment["AIGW_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .notice

        let shown = configuration
        do {
            let (application, _) = try await GatewayApplication.build(
                configuration: configuration, environment: environment, logger: logger,
                onServerRunning: { port in
                    Console.line(
                        "aigw listening on http://\(shown.host):\(port) (account \(shown.accountID), database \(shown.database))"
                    )
                })
            try await application.runService()
        } catch let error as ConfigurationError {
            throw ValidationError(error.message)
        }
    }
}
