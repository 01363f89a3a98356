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
/// or closed as configured). A charge is written by one upsert (`spent = spent +
/// excluded.spent`, so concurrent charges from any number of processes all count), started
/// the moment the answer ends. A check in the process that charged waits for that gateway's
/// writes already started before it reads, so a process's own requests see their spend
/// exactly; other processes see it once the write commits (about a round trip later).
public final class PostgresSpendLedger: SpendLedger {
    let store: PostgresStore
    let logger: Logger
    let now: @Sendable () -> Date
    /// Writes under way, by gateway.
    private let writing = Mutex<[String: [Int: Task<Void, Never>]]>([:])
    private let nextWrite = Atomic<Int>(0)

    /// A ledger over `store`'s `spend_counters` table.
    public init(store: PostgresStore, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.logger = logger
        self.now = now
    }

    public func totals(of keys: [SpendCounterKey]) async throws -> [SpendCounterKey: Double] {
        guard let gatewayID = keys.first?.gatewayID else { return [:] }
        let statement = SpendCounters.select(keys)
        let underWay = writing.withLock { Array(($0[gatewayID] ?? [:]).values) }
        let rows = try await withTimeout(.seconds(1)) {
            for write in underWay { await write.value }
            return try await self.store.rows(statement.sql, statement.values)
        }
        var totals: [SpendCounterKey: Double] = [:]
        for row in rows {
            totals[SpendCounters.key(row, gatewayID: gatewayID), default: 0] += row.double("spent") ?? 0
        }
        return totals
    }

    public func charge(_ cost: Double, to keys: [SpendCounterKey]) {
        guard cost > 0, cost.isFinite, let gatewayID = keys.first?.gatewayID else { return }
        let amounts = keys.map { (key: $0, usd: cost) }
        let pruneBefore = Int.random(in: 0..<256) == 0 ? Int(now().timeIntervalSince1970) : nil
        let id = nextWrite.wrappingAdd(1, ordering: .relaxed).oldValue
        writing.withLock { writing in
            writing[gatewayID, default: [:]][id] = Task {
                await self.write(amounts)
                self.writing.withLock { writing in
                    writing[gatewayID]?[id] = nil
                    if writing[gatewayID]?.isEmpty == true { writing[gatewayID] = nil }
                }
                if let pruneBefore { _ = try? await self.store.rows(SpendCounters.deleteEnded, [.integer(pruneBefore)]) }
            }
        }
    }

    /// Writes charges, retrying for a while if the database is away.
    private func write(_ amounts: [(key: SpendCounterKey, usd: Double)]) async {
        let statement = SpendCounters.add(amounts)
        var delay = Duration.milliseconds(100)
        for attempt in 1...8 {
            do {
                _ = try await store.rows(statement.sql, statement.values)
                return
            } catch {
                if attempt == 8 {
                    logger.error(
                        "spend not recorded in the database after 8 attempts",
                        metadata: ["gateway": "\(amounts.first?.key.gatewayID ?? "")", "error": "\(String(reflecting: error))"])
                    return
                }
                try? await Task.sleep(for: delay)
                delay *= 2
            }
        }
    }

    public func counters(gatewayID: String) async throws -> [SpendCounterKey: Double] {
        var counters: [SpendCounterKey: Double] = [:]
        for row in try await store.rows(SpendCounters.selectGateway, [.text(gatewayID)]) {
            counters[SpendCounters.key(row, gatewayID: gatewayID)] = row.double("spent") ?? 0
        }
        return counters
    }

    /// Nothing to forget: the store deletes the gateway's rows with it.
    public func forget(gatewayID: String) {}
}
