import Foundation
import GatewayCore
import Logging
import PostgresNIO
import Synchronization

/// Spend-limit counters in PostgreSQL, shared by every gateway process using the database
/// (SPEC section 11).
///
/// - A check reads every counter it needs in one statement: one round trip on the request
///   path, on gateways with rules only, bounded by a second (then ``SpendLimiter`` fails open
///   or closed as configured).
/// - Charges gather in the process and are written one write at a time: each write is one
///   statement that adds every gathered amount (`spent = spent + excluded.spent`, so the
///   writes of any number of processes all count) and records itself as this process's
///   write number `seq` in `spend_writers`. Under load that is one write per round trip,
///   however many answers end meanwhile.
/// - Exact within the process: the read returns, in the same snapshot, the last write of
///   this process it holds, so the check adds exactly the charges that snapshot lacks (those
///   gathered, and those in writes after it). Other processes see a charge once its write
///   commits, about a round trip after the answer ended.
public final class PostgresSpendLedger: SpendLedger {
    let store: PostgresStore
    let logger: Logger
    let now: @Sendable () -> Date
    /// This process's name in `spend_writers`.
    let writerID = UUID().uuidString.lowercased()

    private struct State {
        /// Charged, and in no write yet.
        var gathered: [SpendCounterKey: Double] = [:]
        /// Taken by writes not yet acknowledged, by write number.
        var writing: [Int: [SpendCounterKey: Double]] = [:]
        /// The number the next write takes.
        var nextSeq = 1
        var writerRunning = false
        /// The task writing, while one runs.
        var writer: Task<Void, Never>?
    }
    private let state = Mutex(State())

    /// A ledger over `store`'s `spend_counters` table.
    public init(store: PostgresStore, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.logger = logger
        self.now = now
    }

    public func totals(of keys: [SpendCounterKey]) async throws -> [SpendCounterKey: Double] {
        guard let gatewayID = keys.first?.gatewayID else { return [:] }
        // What this process has charged and the database may lack, as it stands before the read.
        let local = state.withLock { state in
            (
                writing: state.writing.mapValues { amounts in keys.reduce(into: [SpendCounterKey: Double]()) { $0[$1] = amounts[$1] } },
                gathered: keys.reduce(into: [SpendCounterKey: Double]()) { $0[$1] = state.gathered[$1] },
                nextSeq: state.nextSeq
            )
        }
        let statement = SpendCounters.selectSeen(keys, writer: writerID)
        let rows = try await withTimeout(.seconds(1)) { try await self.store.rows(statement.sql, statement.values) }
        let seen = rows.first?.integer("seen") ?? 0
        var totals: [SpendCounterKey: Double] = [:]
        for row in rows where row.text("rule_id") != nil {
            totals[SpendCounters.key(row, gatewayID: gatewayID), default: 0] += row.double("spent") ?? 0
        }
        for (seq, amounts) in local.writing where seq > seen {
            for (key, usd) in amounts { totals[key, default: 0] += usd }
        }
        // What was gathered goes in write `nextSeq` (a write takes all that is gathered).
        if seen < local.nextSeq {
            for (key, usd) in local.gathered { totals[key, default: 0] += usd }
        }
        return totals
    }

    public func charge(_ cost: Double, to keys: [SpendCounterKey]) {
        guard cost > 0, cost.isFinite, !keys.isEmpty else { return }
        state.withLock { state in
            for key in keys { state.gathered[key, default: 0] += cost }
            if !state.writerRunning {
                state.writerRunning = true
                state.writer = Task { await self.writeGathered() }
            }
        }
    }

    public func flush() async {
        // The writer running drains everything gathered before it stops.
        await state.withLock { $0.writer }?.value
    }

    /// Writes what is gathered, one write at a time, until nothing is.
    private func writeGathered() async {
        while true {
            let taken: (seq: Int, amounts: [SpendCounterKey: Double])? = state.withLock { state in
                guard !state.gathered.isEmpty else {
                    state.writerRunning = false
                    return nil
                }
                defer {
                    state.gathered = [:]
                    state.nextSeq += 1
                }
                state.writing[state.nextSeq] = state.gathered
                return (state.nextSeq, state.gathered)
            }
            guard let taken else { return }
            await write(taken.amounts, seq: taken.seq)
            state.withLock { _ = $0.writing.removeValue(forKey: taken.seq) }
        }
    }

    /// One write, retried for a while if the database is away.
    private func write(_ amounts: [SpendCounterKey: Double], seq: Int) async {
        let time = Int(now().timeIntervalSince1970)
        let statement = SpendCounters.addAsWrite(amounts.map { (key: $0.key, usd: $0.value) }, writer: writerID, seq: seq, at: time)
        var delay = Duration.milliseconds(100)
        for attempt in 1...8 {
            do {
                _ = try await store.rows(statement.sql, statement.values)
                if Int.random(in: 0..<256) == 0 {
                    _ = try? await store.rows(SpendCounters.deleteEnded, [.integer(time)])
                    _ = try? await store.rows(SpendCounters.deleteIdleWriters, [.integer(time - 86_400)])
                }
                return
            } catch {
                if attempt == 8 {
                    logger.error(
                        "spend not recorded in the database after 8 attempts",
                        metadata: ["amounts": "\(amounts.count)", "error": "\(String(reflecting: error))"])
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
