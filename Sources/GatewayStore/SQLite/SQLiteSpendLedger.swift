import Foundation
import GatewayCore
import Logging
import SQLiteNIO
import Synchronization

/// Spend-limit counters of a gateway process that owns its SQLite file: counted in memory
/// (``LocalSpendLedger``: exact and immediate), written behind to the `spend_counters` table
/// so that a restart does not hand out a budget again, and read back at start.
///
/// Charges made while a write is under way are gathered and written together by the next
/// one: at most one write is in flight, whatever the request rate.
public final class SQLiteSpendLedger: SpendLedger {
    let memory: LocalSpendLedger
    let store: SQLiteStore
    let logger: Logger
    let now: @Sendable () -> Date
    private struct Unwritten {
        var amounts: [SpendCounterKey: Double] = [:]
        var writing = false
    }
    private let unwritten = Mutex(Unwritten())

    /// A ledger kept in `store`.
    public init(store: SQLiteStore, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.memory = LocalSpendLedger(now: now)
        self.store = store
        self.logger = logger
        self.now = now
    }

    public func totals(of keys: [SpendCounterKey]) -> [SpendCounterKey: Double] {
        memory.totals(of: keys)
    }

    public func charge(_ cost: Double, to keys: [SpendCounterKey]) {
        guard cost > 0, cost.isFinite, !keys.isEmpty else { return }
        memory.charge(cost, to: keys)
        let startWriting = unwritten.withLock { unwritten in
            for key in keys { unwritten.amounts[key, default: 0] += cost }
            defer { unwritten.writing = true }
            return !unwritten.writing
        }
        if startWriting { Task { await writeUnwritten() } }
    }

    /// Writes what is unwritten until nothing is.
    private func writeUnwritten() async {
        while true {
            let amounts = unwritten.withLock { unwritten in
                defer { unwritten.amounts = [:] }
                if unwritten.amounts.isEmpty { unwritten.writing = false }
                return unwritten.amounts
            }
            if amounts.isEmpty { return }
            do {
                for chunk in amounts.map({ (key: $0.key, usd: $0.value) }).chunked(100) {
                    let statement = SpendCounters.add(Array(chunk))
                    _ = try await store.write(statement.sql, statement.values.map(SQLiteData.init))
                }
                let time = Int(now().timeIntervalSince1970)
                if Int.random(in: 0..<256) == 0 { _ = try await store.write(SpendCounters.deleteEnded, [.integer(time)]) }
            } catch {
                logger.error("spend not saved to the database", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    public func counters(gatewayID: String) -> [SpendCounterKey: Double] {
        memory.counters(gatewayID: gatewayID)
    }

    public func forget(gatewayID: String) {
        memory.forget(gatewayID: gatewayID)
        unwritten.withLock { unwritten in unwritten.amounts = unwritten.amounts.filter { $0.key.gatewayID != gatewayID } }
    }

    /// Reads back the counters a check may still read (the current and previous windows).
    public func load() async throws {
        let time = Int(now().timeIntervalSince1970)
        let rows = try await store.api.query(
            "SELECT gateway_id, rule_id, partition_key, window_seconds, window_start, spent FROM spend_counters WHERE window_start + 2 * window_seconds >= ?",
            [.integer(time)])
        var saved: [SpendCounterKey: Double] = [:]
        for row in rows {
            saved[SpendCounters.key(row, gatewayID: row.text("gateway_id") ?? "")] = row.double("spent") ?? 0
        }
        memory.restore(saved)
    }
}
