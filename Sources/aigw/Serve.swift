import ArgumentParser
import Foundation
import GatewayCore
import GatewayServer
import GatewayStore
import Hummingbird
import Logging
import NIOCore

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
        let application: any ApplicationProtocol
        let parts: GatewayApplication.Parts
        do {
            // The process's own traces, when the configuration asks for them (off by default).
            let tracing = try configuration.tracing.map { try ProcessTracing.bootstrap($0, logger: logger) }
            (application, parts) = try await GatewayApplication.build(
                configuration: configuration, environment: environment, logger: logger,
                extraServices: tracing.map { [$0] } ?? [],
                onServerRunning: { port in
                    Console.line(
                        "aigw listening on http://\(shown.host):\(port) (account \(shown.accountID), database \(PostgresStore.redacted(shown.database)))"
                    )
                    Console.line(Self.banner(shown, port: port))
                })
        } catch let error as ConfigurationError {
            throw ValidationError(error.message)
        }
        do {
            try await application.runService()
            Console.line("aigw stopped: every accepted request answered and its log written")
        } catch {
            // A start that failed (the port taken, say) closes what it opened and says what to do.
            try? await parts.store.close()
            throw StartFailure(message: Self.startFailure(error, configuration: shown))
        }
    }

    /// The start-up banner's second line: what a new operator wants to check at a glance.
    static func banner(_ configuration: GatewayConfiguration, port: Int) -> String {
        var parts = ["aigw \(GatewayVersion.current)"]
        parts.append(
            configuration.adminToken == nil
                ? "no admin token: the management API and dashboard answer loopback clients only"
                : "admin token set")
        parts.append(configuration.masterKey == nil ? "no master key: stored provider keys are off" : "master key set")
        parts.append("dashboard http://\(configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host):\(port)/")
        if configuration.tracing != nil { parts.append("tracing to \(configuration.tracing!.otlpEndpoint)") }
        if let logpush = configuration.logpush { parts.append("Logpush to \(logpush.directory ?? logpush.url ?? "")") }
        return "  " + parts.joined(separator: "; ")
    }

    /// One line on why the gateway could not start, and what to do about it.
    static func startFailure(_ error: any Error, configuration: GatewayConfiguration) -> String {
        if let error = error as? IOError, error.errnoCode == EADDRINUSE {
            return "port \(configuration.port) on \(configuration.host) is in use: stop what holds it, or start with --port N (0 picks a free one)"
        }
        if let error = error as? IOError, error.errnoCode == EACCES {
            return "not allowed to listen on port \(configuration.port) on \(configuration.host): pick a port above 1023 (--port)"
        }
        if let error = error as? ConfigurationError { return error.message }
        return "the gateway could not start: \(error)"
    }
}

/// Why `aigw serve` could not start, in one line (exit status 1, no usage text).
struct StartFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
