import AIGateway
import Foundation
import GatewayCore
import Logging
import ServiceLifecycle

/// The periodic pass of log management, off the request path: every `interval`, each gateway
/// with `log_retention_days` (aigw's own setting) loses its logs older than that many days,
/// in deletes of at most ``chunk`` logs (short transactions, however many are due), and each
/// gateway with a `log_management` limit is trimmed to it (a limit lowered through the API
/// holds before the gateway's next log). SQLite gives the freed space back as it deletes.
public struct LogRetention: Service {
    let store: any LogStore
    let gateways: @Sendable () -> [GatewaySettings]
    let management: LogManagement
    let interval: Duration
    let logger: Logger
    let now: @Sendable () -> Date

    /// Logs deleted per statement at most.
    public static let chunk = 10_000

    /// A pass over `gateways()` every `interval`.
    public init(
        store: any LogStore, management: LogManagement, interval: Duration = .seconds(60), logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }, gateways: @escaping @Sendable () -> [GatewaySettings]
    ) {
        self.store = store
        self.management = management
        self.interval = interval
        self.logger = logger
        self.now = now
        self.gateways = gateways
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    try await runOnce()
                } catch {
                    logger.error("log retention pass failed; the next one retries", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// One pass: what is due now is deleted. Returns how many logs retention deleted.
    @discardableResult
    public func runOnce() async throws -> Int {
        var deleted = 0
        for gateway in gateways() {
            if let days = gateway.logRetentionDays {
                let cutoff = Int64((now().timeIntervalSince1970 - Double(days) * 86_400) * 1000)
                var deletion = LogDeletion()
                deletion.conditions = [LogCondition(.createdAt, .lessThan, [.date(cutoff)])]
                deletion.limit = Self.chunk
                while true {
                    let removed = try await store.deleteLogs(gatewayID: gateway.id, deletion: deletion)
                    deleted += removed
                    if removed < Self.chunk { break }
                }
            }
            try await management.trim(gateway.id)
        }
        return deleted
    }
}
