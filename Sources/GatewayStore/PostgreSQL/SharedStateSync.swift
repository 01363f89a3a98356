import AIGateway
import Foundation
import GatewayCore
import Logging
import ServiceLifecycle

/// Keeps this process's view of what several gateway processes share through PostgreSQL
/// (gateways and their settings, run tokens, stored provider keys, custom providers, dynamic routes) in step with the
/// database: every `interval` it reads them back and applies what other processes changed,
/// so a change made through one process applies on the others within a second.
///
/// A gateway another process deleted is removed here too; one created on first use here and
/// not yet stored is left alone. While the database is away the last view stays in force.
public struct SharedStateSync: Service {
    let store: PostgresStore
    let directory: GatewayDirectory
    let features: GatewayFeatures
    let interval: Duration
    let logger: Logger

    /// A sync of `directory` and `features` with `store` every `interval`.
    public init(store: PostgresStore, directory: GatewayDirectory, features: GatewayFeatures, interval: Duration, logger: Logger) {
        self.store = store
        self.directory = directory
        self.features = features
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var stored: [String: GatewaySettings] = [:]
            var rounds = 0
            while !Task.isCancelled {
                await refresh(&stored)
                rounds += 1
                if rounds % 120 == 0 {
                    try? await store.pruneRateWindows(before: Int(Date().timeIntervalSince1970) - 2 * 86_400)
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// Applies the database's state; `stored` is what it held at the previous round.
    func refresh(_ stored: inout [String: GatewaySettings]) async {
        do {
            let now = try await store.gateways()
            var seen = Set<String>()
            for settings in now {
                seen.insert(settings.id)
                guard stored[settings.id] != settings else { continue }
                let changed = stored[settings.id] != nil
                stored[settings.id] = settings
                if directory.settings(settings.id) != settings {
                    directory.put(settings)
                    if changed { features.gatewayUpdated(settings) }
                }
            }
            for id in stored.keys where !seen.contains(id) {
                stored[id] = nil
                if directory.remove(id) { features.gatewayDeleted(id) }
            }
            features.runTokens.records.replaceAll(try await store.runTokens())
            features.providerKeys.records.replaceAll(try await store.providerKeys())
            features.customProviders.replaceAll(try await store.customProviders(), cipher: features.providerKeys.cipher)
            try await features.routes.load(from: store, gatewayIDs: Array(stored.keys))
        } catch {
            logger.debug("shared state not refreshed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
