import Foundation
import GatewayCore
import Logging
import SQLiteNIO
import Synchronization

/// Spend-limit counters of a gateway process that owns its SQLite file: counted in memory
/// (``LocalSpendLedger``: exact and immediate), written behind to the `spend_counters` table
/// so that a restart does not hand out a budget again, and read back at start.
///
/// Charges are gathered and written together at most once per ``writeInterval`` (a second):
/// one small write a second, whatever the request rate, so the log writer keeps the file to
/// itself. A crash loses at most that second of spend (a graceful stop writes it, ``flush()``).
public final class SQLiteSpendLedger: SpendLedger {
    let memory: LocalSpendLedger
    let store: SQLiteStore
    let logger: Logger
    let now: @Sendable () -> Date
    /// How long charges gather before they are written.
    let writeInterval: Duration
    private struct Unwritten {
        var amounts: [SpendCounterKey: Double] = [:]
        var writing = false
    }
    private let unwritten = Mutex(Unwritten())
    /// Taking what is unwritten and writing it happen in one turn, so a flush at shutdown
    /// finishes after any write that took charges before it.
    private let turns = WriteTurns()

    /// A ledger kept in `store`.
    public init(
        store: SQLiteStore, logger: Logger, writeInterval: Duration = .seconds(1), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.writeInterval = writeInterval
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
        if startWriting { Task { await writeBehind() } }
    }

    public func flush() async {
        try? await turns.run { await self.write(self.take(finishing: false)) }
    }

    /// Every `writeInterval`, writes what gathered, until a round finds nothing.
    private func writeBehind() async {
        while true {
            try? await Task.sleep(for: writeInterval)
            let wrote = try? await turns.run {
                let amounts = self.take(finishing: true)
                await self.write(amounts)
                return !amounts.isEmpty
            }
            if wrote != true { return }
        }
    }

    /// What is unwritten, taken; with `finishing`, an empty take ends the write-behind task.
    private func take(finishing: Bool) -> [SpendCounterKey: Double] {
        unwritten.withLock { unwritten in
            defer { unwritten.amounts = [:] }
            if unwritten.amounts.isEmpty, finishing { unwritten.writing = false }
            return unwritten.amounts
        }
    }

    private func write(_ amounts: [SpendCounterKey: Double]) async {
        guard !amounts.isEmpty else { return }
        do {
            for chunk in amounts.map({ (key: $0.key, usd: $0.value) }).chunked(100) {
                let statement = SpendCounters.add(Array(chunk))
                _ = try await store.write(statement.sql, statement.values.map(SQLiteData.init))
            }
            if Int.random(in: 0..<64) == 0 {
                _ = try await store.write(SpendCounters.deleteEnded, [.integer(Int(now().timeIntervalSince1970))])
            }
        } catch {
            logger.error("spend not saved to the database", metadata: ["error": "\(String(reflecting: error))"])
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
