import Foundation
import Synchronization

/// One spend counter: what a rule's budget (one partition of it) spent in one window.
public struct SpendCounterKey: Sendable, Hashable {
    public var gatewayID: String
    public var ruleID: String
    /// The partition's values (`user=ada`), empty for a rule without partitions.
    public var partition: String
    /// The rule's window, in seconds (a rule whose window changes counts afresh).
    public var windowSeconds: Int
    /// Where this window starts, in seconds since 1970 (a multiple of ``windowSeconds``).
    public var windowStart: Int

    public init(gatewayID: String, ruleID: String, partition: String, windowSeconds: Int, windowStart: Int) {
        self.gatewayID = gatewayID
        self.ruleID = ruleID
        self.partition = partition
        self.windowSeconds = windowSeconds
        self.windowStart = windowStart
    }
}

/// Where spend is counted: in this process (``LocalSpendLedger``), or in a database that
/// every gateway process shares.
public protocol SpendLedger: Sendable {
    /// What the counters named hold now, in USD (a counter never charged is absent). One
    /// round trip to the database, for a shared ledger.
    func totals(of keys: [SpendCounterKey]) async throws -> [SpendCounterKey: Double]
    /// Adds `cost` to each counter. Returns at once: later ``totals(of:)`` calls in this
    /// process include it immediately; a shared ledger writes it to the database behind.
    func charge(_ cost: Double, to keys: [SpendCounterKey])
    /// Forgets a gateway's counters (when it is deleted).
    func forget(gatewayID: String)
    /// Reads counters kept across restarts, if the ledger keeps any (before the port opens).
    func load() async throws
    /// Every counter of one gateway (for the spend report; not on the request path).
    func counters(gatewayID: String) async throws -> [SpendCounterKey: Double]
    /// Writes what is not written yet (at shutdown, before the store closes).
    func flush() async
}

extension SpendLedger {
    /// Nothing kept: nothing to read.
    public func load() async throws {}
    /// Nothing kept: nothing to write.
    public func flush() async {}
}

/// Spend counted in this process's memory, under one lock: exact, and immediate. Counters of
/// windows that ended more than a window ago are dropped as new ones are charged.
public final class LocalSpendLedger: SpendLedger {
    private let counters = Mutex<[SpendCounterKey: Double]>([:])
    private let now: @Sendable () -> Date

    /// A ledger that reads the time from `now` when it drops old counters.
    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    public func totals(of keys: [SpendCounterKey]) -> [SpendCounterKey: Double] {
        counters.withLock { counters in
            var found: [SpendCounterKey: Double] = [:]
            for key in keys { found[key] = counters[key] }
            return found
        }
    }

    public func charge(_ cost: Double, to keys: [SpendCounterKey]) {
        guard cost > 0, cost.isFinite else { return }
        let time = Int(now().timeIntervalSince1970)
        counters.withLock { counters in
            for key in keys { counters[key, default: 0] += cost }
            // Only the current and the previous window are ever read (the sliding window).
            if counters.count > 4096 || Int.random(in: 0..<64) == 0 {
                counters = counters.filter { $0.key.windowStart + 2 * $0.key.windowSeconds > time }
            }
        }
    }

    public func forget(gatewayID: String) {
        counters.withLock { counters in counters = counters.filter { $0.key.gatewayID != gatewayID } }
    }

    /// Every counter, for a store to keep across restarts.
    public func snapshot() -> [SpendCounterKey: Double] { counters.withLock { $0 } }

    public func counters(gatewayID: String) -> [SpendCounterKey: Double] {
        counters.withLock { $0.filter { $0.key.gatewayID == gatewayID } }
    }

    /// Adds counters read back from a store (at start).
    public func restore(_ saved: [SpendCounterKey: Double]) {
        counters.withLock { counters in
            for (key, value) in saved { counters[key, default: 0] += value }
        }
    }
}
