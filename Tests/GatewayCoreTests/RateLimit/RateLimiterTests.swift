import AIGateway
import Foundation
import GatewayCore
import Synchronization
import Testing

/// A wall clock the test moves by hand.
final class ManualClock: Sendable {
    private let time: Mutex<Double>
    init(_ start: Double) { time = Mutex(start) }
    var now: Date { Date(timeIntervalSince1970: time.withLock { $0 }) }
    func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
}

@Suite("Rate limiter: fixed clock-aligned windows, a sliding window, exact under concurrency")
struct RateLimiterTests {
    func gateway(limit: Int, interval: Int, technique: String) -> GatewaySettings {
        var settings = GatewaySettings(id: "g")
        settings.rateLimitingLimit = limit
        settings.rateLimitingInterval = interval
        settings.rateLimitingTechnique = technique
        return settings
    }

    @Test("fixed: windows start on multiples of the interval; Retry-After is the rest of the window")
    func fixed() {
        // 1_000_050 s since 1970 lies in the 60 s window [1_000_020, 1_000_080).
        let clock = ManualClock(1_000_050)
        let limiter = RateLimiter(now: { clock.now })
        let settings = gateway(limit: 2, interval: 60, technique: "fixed")
        #expect(limiter.admit(settings) == .allowed && limiter.admit(settings) == .allowed)
        #expect(limiter.admit(settings) == .limited(retryAfterSeconds: 30))
        clock.advance(29.5)
        #expect(limiter.admit(settings) == .limited(retryAfterSeconds: 1))
        clock.advance(0.5)  // the next window starts at 1_000_080
        #expect(limiter.admit(settings) == .allowed)
    }

    @Test("sliding: an admission leaves the window one interval after it came in")
    func sliding() {
        let clock = ManualClock(0)
        let limiter = RateLimiter(now: { clock.now })
        let settings = gateway(limit: 2, interval: 10, technique: "sliding")
        #expect(limiter.admit(settings) == .allowed)  // t=0
        clock.advance(6)
        #expect(limiter.admit(settings) == .allowed)  // t=6
        clock.advance(1)
        #expect(limiter.admit(settings) == .limited(retryAfterSeconds: 3))  // t=7: the t=0 one leaves at 10
        clock.advance(3)
        #expect(limiter.admit(settings) == .allowed)  // t=10
        #expect(limiter.admit(settings) == .limited(retryAfterSeconds: 6))  // the t=6 one leaves at 16
    }

    @Test("no limit set: everything passes; a change of settings starts counting afresh")
    func unlimitedAndChanges() {
        let limiter = RateLimiter(now: { Date(timeIntervalSince1970: 5) })
        #expect((0..<100).allSatisfy { _ in limiter.admit(GatewaySettings(id: "free")) == .allowed })
        let one = gateway(limit: 1, interval: 60, technique: "fixed")
        #expect(limiter.admit(one) == .allowed && limiter.admit(one) != .allowed)
        #expect(limiter.admit(gateway(limit: 2, interval: 60, technique: "fixed")) == .allowed)
    }

    @Test("L + k at once: exactly L pass", arguments: ["fixed", "sliding"])
    func concurrent(technique: String) async {
        let limiter = RateLimiter(now: { Date(timeIntervalSince1970: 1) })
        let settings = gateway(limit: 50, interval: 3600, technique: technique)
        let allowed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<500 { group.addTask { limiter.admit(settings) == .allowed } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(allowed == 50)
    }
}
