import AIGateway
import ArgumentParser
import Foundation
import GatewayCore
import GatewayServer
import GatewayStore
import Logging
import NIOCore

/// `aigw bench-logs`: how many logs per second the batch writer stores into a database, the
/// way the gateway writes them (the same writer, batches and statements), on synthetic records
/// shaped like a small chat completion. The benchmark runs it; it prints one JSON line.
struct BenchLogs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-logs", abstract: "Measure log writes per second into a throwaway database (for the benchmark).")

    @Option(name: .long, help: "sqlite:PATH or postgres://... (it gets a fresh gateway id, and its logs are deleted after).")
    var database = "sqlite:aigw-bench-logs.sqlite"

    @Option(name: .long, help: "How many logs to write.")
    var count = 200_000

    @Option(name: .long, help: "Keep at most this many logs of the gateway (log_management with DELETE_OLDEST), to measure what trimming costs.")
    var keep: Int?

    func run() async throws {
        var logger = Logger(label: "aigw.bench-logs")
        logger.logLevel = .warning
        let store = try await GatewayApplication.openStore(database, logger: logger)
        let count = self.count
        let (written, seconds) = try await store.whileRunning {
            try await store.migrate()
            var settings = LogQueueSettings()
            settings.capacity = count + 1
            let gatewayID = "bench-\(ULID().description.lowercased())"
            var gateway = GatewaySettings(id: gatewayID)
            gateway.logManagement = keep
            gateway.logManagementStrategy = "DELETE_OLDEST"
            let limited = gateway
            let management = keep == nil ? nil : LogManagement(store: store, metrics: .discarding) { _ in limited }
            let writer = LogWriter(
                store: store, settings: settings, metrics: .discarding, logger: logger, prices: try PriceTable.shipped(),
                management: management)
            let records = (0..<count).map { Self.record(gateway: gatewayID, index: $0) }
            let (written, seconds) = try await writer.whileRunning {
                let started = ContinuousClock.now
                for record in records { writer.submit(record) }
                await writer.flush(timeout: .seconds(3600))
                let elapsed = (ContinuousClock.now - started).components
                let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
                return (try await store.count(gatewayID: gatewayID), seconds)
            }
            _ = try await store.deleteLogs(gatewayID: gatewayID, deletion: LogDeletion())
            return (written, seconds)
        }
        let kind = database.hasPrefix("postgres") ? "postgresql" : "sqlite"
        // With --keep, `logs` is what is left (the limit); the rate is of the logs written.
        Console.line(
            #"{"database":"\#(kind)","logs":\#(written),"seconds":\#(seconds),"logs_per_second":\#(Int(Double(count) / max(seconds, 0.001)))}"#)
    }

    /// A record like the gateway makes for a small OpenAI chat completion, bodies kept.
    static func record(gateway: String, index: Int) -> LogRecord {
        var record = LogRecord(
            id: ULID().description, gatewayID: gateway, provider: "openai", path: "chat/completions", createdAt: Date(),
            captureCap: 1 << 20)
        record.statusCode = 200
        record.success = true
        record.durationMs = 12
        record.metadata = ["user": .string("u\(index % 100)")]
        record.requestContentType = "application/json"
        record.responseContentType = "application/json"
        record.requestBody = ByteBuffer(string: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}"#)
        record.response = BodyCapture(
            cap: 1 << 20,
            body: ByteBuffer(
                string: #"{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}"#))
        return record
    }
}
