import AIGateway
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import GatewayCore

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let time: Mutex<Double>
    init(_ start: Double) { time = Mutex(start) }
    func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
    var now: @Sendable () -> Date { { Date(timeIntervalSince1970: self.time.withLock { $0 }) } }
}

@Suite("Spend limiter: which rules apply, windows on an injected clock, and the in-flight bound")
struct SpendLimiterTests {
    func gateway(_ rules: [SpendLimitRule], enabled: Bool = true) -> GatewaySettings {
        var settings = GatewaySettings(id: "g")
        settings.spendLimits = SpendLimits(enabled: enabled, rules: rules)
        return settings
    }

    func request(provider: String = "openai", model: String = "gpt-4o-mini", metadata: LogMetadata? = nil) -> SpendLimiter.Request {
        SpendLimiter.Request(provider: provider, model: model, metadata: metadata, customCost: .total(1))
    }

    /// Checks, and when allowed charges the request's custom cost ($1).
    func spend(_ limiter: SpendLimiter, _ gateway: GatewaySettings, _ request: SpendLimiter.Request) async -> Int? {
        switch await limiter.check(request, gateway: gateway) {
        case .notLimited: return nil
        case .allowed(let charge, _):
            charge.charge(charge.cost(of: TokenUsage()))
            return 200
        case .refused(let error): return error.httpStatus
        }
    }

    func retryAfter(_ decision: SpendLimiter.Decision) -> Int? {
        guard case .refused(let error) = decision else { return nil }
        return error.headers.first { $0.0 == "Retry-After" }.flatMap { Int($0.1) }
    }

    @Test("fixed window: the budget is spent, then a new window aligned to the clock starts afresh")
    func fixedWindowRollsOver() async {
        let clock = TestClock(1_000_000_000)  // a multiple of 100
        let limiter = SpendLimiter(ledger: LocalSpendLedger(now: clock.now), prices: .empty, now: clock.now)
        let settings = gateway([SpendLimitRule(id: "r", limit: 2, window: 100)])
        #expect(await spend(limiter, settings, request()) == 200)
        #expect(await spend(limiter, settings, request()) == 200)
        clock.advance(30)
        let refused = await limiter.check(request(), gateway: settings)
        #expect(retryAfter(refused) == 70)
        clock.advance(70)
        #expect(await spend(limiter, settings, request()) == 200)
    }

    @Test("sliding window: the previous window's spend fades out in proportion to the time passed")
    func slidingWindowDecays() async {
        let clock = TestClock(1_000_000_000)
        let limiter = SpendLimiter(ledger: LocalSpendLedger(now: clock.now), prices: .empty, now: clock.now)
        let settings = gateway([SpendLimitRule(id: "r", limit: 2, window: 100, technique: "sliding")])
        #expect(await spend(limiter, settings, request()) == 200)
        #expect(await spend(limiter, settings, request()) == 200)
        // Next window, 25 s in: 2 × 0.75 = 1.5 still counts, so one more dollar fits...
        clock.advance(125)
        #expect(await spend(limiter, settings, request()) == 200)
        // ...and then 1 + 2 × 0.75 = 2.5 ≥ 2: refused until 1 + 2 × (1 − t/100) < 2, t = 50.
        let refused = await limiter.check(request(), gateway: settings)
        #expect(retryAfter(refused) == 25)
        clock.advance(26)
        #expect(await spend(limiter, settings, request()) == 200)
    }

    @Test("rules apply by provider, model (bare or provider/model) and metadata filter; disabled rules and limits are not checked")
    func applicability() async {
        let limiter = SpendLimiter(ledger: LocalSpendLedger(), prices: .empty)
        let byModel = gateway([SpendLimitRule(id: "m", limit: 5, window: 60, model: SpendValueFilter(values: ["openai/gpt-4o"]))])
        #expect(await spend(limiter, byModel, request(model: "gpt-4o")) == 200)
        #expect(await spend(limiter, byModel, request(model: "gpt-4o-mini")) == nil)
        let byFilter = gateway([SpendLimitRule(id: "f", limit: 5, window: 60, metadata: ["tier": .filter(["1", "true"])])])
        #expect(await spend(limiter, byFilter, request(metadata: ["tier": 1])) == 200)
        #expect(await spend(limiter, byFilter, request(metadata: ["tier": true])) == 200)
        #expect(await spend(limiter, byFilter, request(metadata: ["tier": "2"])) == nil)
        #expect(await spend(limiter, byFilter, request()) == nil)
        var disabledRule = SpendLimitRule(id: "d", limit: 5, window: 60)
        disabledRule.enabled = false
        #expect(await spend(limiter, gateway([disabledRule]), request()) == nil)
        #expect(await spend(limiter, gateway([SpendLimitRule(id: "e", limit: 5, window: 60)], enabled: false), request()) == nil)
        #expect(!limiter.hasRules(gateway([disabledRule])))
    }

    @Test("50 checks at once at the edge of a limit all pass: the overshoot is the cost of the requests in flight, no more")
    func inFlightBound() async {
        let ledger = LocalSpendLedger()
        let limiter = SpendLimiter(ledger: ledger, prices: .empty)
        let settings = gateway([SpendLimitRule(id: "r", limit: 10, window: 3600)])
        for _ in 0..<9 { _ = await spend(limiter, settings, request()) }
        // Nine dollars spent of ten: every check made before any of them is charged passes.
        let charges = await withTaskGroup(of: SpendCharge?.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    if case .allowed(let charge, _) = await limiter.check(request(), gateway: settings) { return charge }
                    return nil
                }
            }
            return await group.reduce(into: [SpendCharge]()) { if let charge = $1 { $0.append(charge) } }
        }
        #expect(charges.count == 50)
        for charge in charges { charge.charge(1) }
        let spent = ledger.snapshot().values.reduce(0, +)
        #expect(spent == 9 + 50)
        #expect(await spend(limiter, settings, request()) == 429)
    }

    @Test("amounts are written with six decimals, rounded, never negative", arguments: [
        (0.0, "0.000000"), (1.2, "1.200000"), (0.0000005, "0.000001"), (1234.5678, "1234.567800"), (-3, "0.000000"),
        (49.12, "49.120000"), (0.1 + 0.2, "0.300000"),
    ])
    func usdText(amount: Double, text: String) {
        #expect(SpendLimiter.usd(amount) == text)
    }

    @Test("a shared ledger that cannot be read: let through by default, 503 code 2051 when failing closed")
    func unreadableLedger() async {
        struct Unreachable: SpendLedger {
            struct Down: Error {}
            func totals(of keys: [SpendCounterKey]) async throws -> [SpendCounterKey: Double] { throw Down() }
            func charge(_ cost: Double, to keys: [SpendCounterKey]) {}
            func forget(gatewayID: String) {}
            func counters(gatewayID: String) async throws -> [SpendCounterKey: Double] { throw Down() }
        }
        let settings = gateway([SpendLimitRule(id: "r", limit: 1, window: 60)])
        let open = SpendLimiter(ledger: Unreachable(), prices: .empty, logger: .quietUnlessAsked())
        #expect(await spend(open, settings, request()) == 200)
        let closed = SpendLimiter(ledger: Unreachable(), prices: .empty, failClosed: true, logger: .quietUnlessAsked())
        guard case .refused(let error) = await closed.check(request(), gateway: settings) else {
            Issue.record("not refused")
            return
        }
        #expect(error.code == 2051 && error.httpStatus == 503)
    }
}
