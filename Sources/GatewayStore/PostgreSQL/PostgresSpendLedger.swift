import Foundation
import GatewayCore
import Logging
import PostgresNIO
import Synchronization

/// Spend-limit counters in PostgreSQL, shared by every gateway process using the database
/// (SPEC section 11).
///
/// A check reads every counter it needs in one statement: one round trip on the request
/// path, on gateways with rules only, bounded by a second (then ``SpendLimiter`` fails open
/// or closed as configured). A charge is added to this process's counters at once and
/// written behind by one upsert (`spent = spent + excluded.spent`, so concurrent charges
/// from any number of processes all count). Until that write is in, this process adds the
/// charge to what it reads: its own requests see their spend immediately, other processes
/// as soon as the write commits. (A check that overlaps a commit may count that charge
/// twice for its duration: it errs towards refusing, never towards overspending.)
public final class PostgresSpendLedger: SpendLedger {
    let store: PostgresStore
    let logger: Logger
    let now: @Sendable () -> Date
    /// Charges made here and not yet written.
    private let pending = Mutex<[SpendCounterKey: Double]>([:])

    /// A ledger over `store`'s `spend_counters` table.
    public init(store: PostgresStore, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.logger = logger
        self.now = now
    }

    public func totals(of keys: [SpendCounterKey]) async throws -> [SpendCounterKey: Double] {
        guard let gatewayID = keys.first?.gatewayID else { return [:] }
        var totals = pending.withLock { pending in
            var found: [SpendCounterKey: Double] = [:]
            for key in keys { found[key] = pending[key] }
            return found
        }
        let statement = SpendCounters.select(keys)
        let rows = try await withTimeout(.seconds(1)) { try await self.store.rows(statement.sql, statement.values) }
        for row in rows {
            totals[SpendCounters.key(row, gatewayID: gatewayID), default: 0] += row.double("spent") ?? 0
        }
        return totals
    }

    public func charge(_ cost: Double, to keys: [SpendCounterKey]) {
        guard cost > 0, cost.isFinite, !keys.isEmpty else { return }
        pending.withLock { pending in
            for key in keys { pending[key, default: 0] += cost }
        }
        let amounts = keys.map { (key: $0, usd: cost) }
        let pruneBefore = Int.random(in: 0..<256) == 0 ? Int(now().timeIntervalSince1970) : nil
        Task {
            await write(amounts)
            if let pruneBefore { _ = try? await store.rows(SpendCounters.deleteEnded, [.integer(pruneBefore)]) }
        }
    }

    /// Writes charges, retrying for a while if the database is away; the pending amounts
    /// then go (written, or given up on with an error logged).
    private func write(_ amounts: [(key: SpendCounterKey, usd: Double)]) async {
        let statement = SpendCounters.add(amounts)
        var delay = Duration.milliseconds(100)
        for attempt in 1...8 {
            do {
                _ = try await store.rows(statement.sql, statement.values)
                break
            } catch {
                if attempt == 8 {
                    logger.error(
                        "spend not recorded in the database after 8 attempts",
                        metadata: ["gateway": "\(amounts.first?.key.gatewayID ?? "")", "error": "\(String(reflecting: error))"])
                    break
                }
                try? await Task.sleep(for: delay)
                delay *= 2
            }
        }
        pending.withLock { pending in
            for (key, usd) in amounts {
                let left = (pending[key] ?? 0) - usd
                pending[key] = left > 1e-12 ? left : nil
            }
        }
    }

    public func forget(gatewayID: String) {
        pending.withLock { pending in pending = pending.filter { $0.key.gatewayID != gatewayID } }
    }
}
