import AIGateway
import Foundation
import GatewayCore

/// What log management needs of a store: a gateway's log count without a scan, and deleting
/// the logs past a count in one transaction.
public protocol LogLimitStore: Sendable {
    /// How many logs a gateway has (read from the rollups).
    func logCount(gatewayID: String) async throws -> Int
    /// Deletes a gateway's logs past the first `keep` (the oldest go, or with `newestFirst`
    /// the newest), counting and deleting in one transaction; returns how many went.
    func trimLogs(gatewayID: String, keep: Int, newestFirst: Bool) async throws -> Int
}

/// A gateway's `log_management` (SPEC section 11), carried out by the log writer around each
/// batch, off the request path:
/// - `STOP_INSERTING`: before the batch, each such gateway's room (`log_management` minus its
///   count) is read, and its logs past the room are not stored (counted in
///   `aigw_logs_not_stored_total`; their answers still carried their `cf-aig-log-id`).
/// - `DELETE_OLDEST`: after the batch, the gateway's oldest logs past the limit are deleted.
///
/// After each batch the count is trimmed to the limit in one locked transaction (for
/// `STOP_INSERTING`, the newest go), so it holds exactly even when several processes write
/// the same gateway's logs at once. Without a strategy, a limit deletes the oldest.
public struct LogManagement: Sendable {
    let store: any LogLimitStore
    /// The settings a gateway has now (nil for a gateway that is gone).
    let settings: @Sendable (String) -> GatewaySettings?
    let metrics: GatewayMetrics

    /// Management over `store`, reading each gateway's settings from `settings`.
    public init(store: any LogLimitStore, metrics: GatewayMetrics, settings: @escaping @Sendable (String) -> GatewaySettings?) {
        self.store = store
        self.settings = settings
        self.metrics = metrics
    }

    /// A gateway's limit and whether it stops inserting (else it deletes the oldest).
    func limit(of gatewayID: String) -> (keep: Int, stops: Bool)? {
        guard let settings = settings(gatewayID), let keep = settings.logManagement else { return nil }
        return (keep, settings.logManagementStrategy == "STOP_INSERTING")
    }

    /// The batch without the logs that `STOP_INSERTING` gateways have no room for.
    func admit(_ batch: [StoredLog]) async throws -> [StoredLog] {
        var room: [String: Int] = [:]
        for gatewayID in Set(batch.map(\.log.gatewayID)) {
            guard let limit = limit(of: gatewayID), limit.stops else { continue }
            room[gatewayID] = max(0, limit.keep - (try await store.logCount(gatewayID: gatewayID)))
        }
        guard !room.isEmpty else { return batch }
        var admitted: [StoredLog] = []
        admitted.reserveCapacity(batch.count)
        for stored in batch {
            guard let left = room[stored.log.gatewayID] else {
                admitted.append(stored)
                continue
            }
            if left > 0 {
                room[stored.log.gatewayID] = left - 1
                admitted.append(stored)
            }
        }
        metrics.logsNotStored(batch.count - admitted.count)
        return admitted
    }

    /// Trims every gateway of the batch that has a limit down to it.
    func enforce(after batch: [StoredLog]) async throws {
        for gatewayID in Set(batch.map(\.log.gatewayID)) {
            try await trim(gatewayID)
        }
    }

    /// Trims one gateway down to its limit, if it has one.
    public func trim(_ gatewayID: String) async throws {
        guard let limit = limit(of: gatewayID) else { return }
        let removed = try await store.trimLogs(gatewayID: gatewayID, keep: limit.keep, newestFirst: limit.stops)
        if limit.stops { metrics.logsNotStored(removed) }
    }
}
