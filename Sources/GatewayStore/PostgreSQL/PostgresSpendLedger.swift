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
        let read = ReadCounters(writer: writerID, keys: keys)
        let rows = try await withTimeout(.seconds(1)) {
            var rows: [ReadCounters.Row] = []
            for try await row in try await self.store.client.execute(read, logger: self.store.logger) { rows.append(row) }
            return rows
        }
        let seen = Int(rows.first?.seen ?? 0)
        var totals: [SpendCounterKey: Double] = [:]
        for row in rows {
            guard let rule = row.rule, let partition = row.partition, let width = row.windowSeconds, let start = row.windowStart
            else { continue }
            let key = SpendCounterKey(
                gatewayID: gatewayID, ruleID: rule, partition: partition, windowSeconds: Int(width), windowStart: Int(start))
            totals[key, default: 0] += row.spent ?? 0
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
        let statement = AddCharges(writer: writerID, seq: seq, time: time, amounts: amounts)
        var delay = Duration.milliseconds(100)
        for attempt in 1...8 {
            do {
                for try await _ in try await store.client.execute(statement, logger: store.logger) {}
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

/// The check's read, prepared once per connection (its text never changes: the counters come
/// as arrays), so that PostgreSQL does not parse and plan it on every request: the counters
/// `keys` name and, on every row, the last write of `writer` the same snapshot holds (`seen`).
/// At least one row comes back.
struct ReadCounters: PostgresPreparedStatement {
    static let sql = """
        SELECT w.seq, c.rule_id, c.partition_key, c.window_seconds, c.window_start, c.spent FROM (SELECT 1 AS one) o
        LEFT JOIN spend_writers w ON w.id = $1
        LEFT JOIN spend_counters c ON c.gateway_id = $2
            AND (c.rule_id, c.partition_key, c.window_seconds, c.window_start) IN
                (SELECT * FROM unnest($3::text[], $4::text[], $5::int4[], $6::int8[]))
        """
    typealias Row = (seen: Int64?, rule: String?, partition: String?, windowSeconds: Int32?, windowStart: Int64?, spent: Double?)

    var writer: String
    var keys: [SpendCounterKey]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(writer)
        bindings.append(keys.first?.gatewayID ?? "")
        bindings.append(keys.map(\.ruleID))
        bindings.append(keys.map(\.partition))
        bindings.append(keys.map { Int32(clamping: $0.windowSeconds) })
        bindings.append(keys.map { Int64($0.windowStart) })
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (seen, rule, partition, width, start, spent) = try row.decode((Int64?, String?, String?, Int32?, Int64?, Double?).self)
        return (seen, rule, partition, width, start, spent)
    }
}

/// One write of gathered charges, prepared once per connection: adds every amount and records
/// the write as `writer`'s number `seq`, in one statement (a read sees both or neither).
struct AddCharges: PostgresPreparedStatement {
    static let sql = """
        WITH w AS (
            INSERT INTO spend_writers (id, seq, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at
        )
        INSERT INTO spend_counters (gateway_id, rule_id, partition_key, window_seconds, window_start, spent)
        SELECT * FROM unnest($4::text[], $5::text[], $6::text[], $7::int4[], $8::int8[], $9::float8[])
        ON CONFLICT (gateway_id, rule_id, partition_key, window_seconds, window_start)
        DO UPDATE SET spent = spend_counters.spent + excluded.spent
        """
    typealias Row = ()

    var writer: String
    var seq: Int
    var time: Int
    var amounts: [SpendCounterKey: Double]

    func makeBindings() throws -> PostgresBindings {
        let rows = Array(amounts)
        var bindings = PostgresBindings(capacity: 9)
        bindings.append(writer)
        bindings.append(Int64(seq))
        bindings.append(Int64(time))
        bindings.append(rows.map(\.key.gatewayID))
        bindings.append(rows.map(\.key.ruleID))
        bindings.append(rows.map(\.key.partition))
        bindings.append(rows.map { Int32(clamping: $0.key.windowSeconds) })
        bindings.append(rows.map { Int64($0.key.windowStart) })
        bindings.append(rows.map(\.value))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {}
}
