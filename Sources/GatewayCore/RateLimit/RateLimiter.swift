import AIGateway
import Foundation
import Synchronization

/// Something that counts requests against each gateway's rate limit: in this process
/// (``RateLimiter``), or in a database every process shares.
public protocol RateLimiting: Sendable {
    /// Counts one request to `gateway` if its budget allows it.
    func admit(_ gateway: GatewaySettings) async -> RateLimiter.Decision
    /// Forgets a gateway's window (when it is deleted).
    func forget(_ gatewayID: String)
}

/// Each gateway's request budget (SPEC section 7): `rate_limiting_limit` requests per
/// `rate_limiting_interval` seconds, counted in `fixed` windows aligned to the clock
/// (`[0, 60)`, `[60, 120)`, ... for 60 s) or over a `sliding` window (the last 60 s).
///
/// Every decision is taken under one lock, so with a limit of L, L + k requests arriving
/// at once let exactly L through. The sliding window keeps the admission times of the
/// last interval (at most L per gateway), so it is exact too. The wall clock is injected:
/// the window logic is tested without sleeping.
public final class RateLimiter: RateLimiting {
    /// What the limiter says about one request.
    public enum Decision: Sendable, Equatable {
        case allowed
        /// Over the limit: try again after this many whole seconds (at least 1).
        case limited(retryAfterSeconds: Int)
    }

    /// One gateway's window.
    struct Window {
        /// The settings it was counted under; a change starts counting afresh.
        var limit: Int
        var interval: Double
        var sliding: Bool
        /// Fixed: the current window's start and its count.
        var start: Double = 0
        var count = 0
        /// Sliding: admission times of the last interval, oldest first (a ring of `limit`).
        var times: [Double] = []
        var oldest = 0
    }

    private let windows = Mutex<[String: Window]>([:])
    private let now: @Sendable () -> Date

    /// A limiter reading the time from `now` (the system clock unless a test says otherwise).
    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// Counts one request to `gateway` if its budget allows it.
    public func admit(_ gateway: GatewaySettings) -> Decision {
        guard let limit = gateway.rateLimitingLimit, limit > 0, let interval = gateway.rateLimitingInterval, interval > 0
        else { return .allowed }
        let time = now().timeIntervalSince1970
        let sliding = gateway.rateLimitingTechnique == "sliding"
        return windows.withLock { windows in
            var window = windows[gateway.id] ?? Window(limit: limit, interval: Double(interval), sliding: sliding)
            if window.limit != limit || window.interval != Double(interval) || window.sliding != sliding {
                window = Window(limit: limit, interval: Double(interval), sliding: sliding)
            }
            let decision = sliding ? Self.slide(&window, at: time) : Self.fix(&window, at: time)
            windows[gateway.id] = window
            return decision
        }
    }

    /// Forgets a gateway's window (when it is deleted).
    public func forget(_ gatewayID: String) {
        _ = windows.withLock { $0.removeValue(forKey: gatewayID) }
    }

    private static func fix(_ window: inout Window, at time: Double) -> Decision {
        let start = (time / window.interval).rounded(.down) * window.interval
        if start != window.start {
            window.start = start
            window.count = 0
        }
        guard window.count < window.limit else {
            return .limited(retryAfterSeconds: wholeSeconds(start + window.interval - time))
        }
        window.count += 1
        return .allowed
    }

    private static func slide(_ window: inout Window, at time: Double) -> Decision {
        if window.times.count < window.limit {
            window.times.append(time)
            return .allowed
        }
        // Full: the oldest admission leaves the window `interval` after it came in.
        let oldest = window.times[window.oldest]
        guard time - oldest >= window.interval else {
            return .limited(retryAfterSeconds: wholeSeconds(oldest + window.interval - time))
        }
        window.times[window.oldest] = time
        window.oldest = (window.oldest + 1) % window.limit
        return .allowed
    }

    /// Whole seconds to wait, at least 1.
    public static func wholeSeconds(_ seconds: Double) -> Int { max(1, Int(seconds.rounded(.up))) }
}

extension GatewayError {
    /// 2003, HTTP 429: the gateway's rate limit is reached; `Retry-After` says when to come back.
    public static func rateLimited(_ gateway: GatewaySettings, retryAfterSeconds: Int) -> GatewayError {
        let limit = gateway.rateLimitingLimit ?? 0
        let interval = gateway.rateLimitingInterval ?? 0
        return GatewayError(
            code: 2003, httpStatus: 429,
            message:
                "Rate limited: gateway '\(gateway.id)' allows \(limit) requests per \(interval) s (\(gateway.rateLimitingTechnique) window); retry after \(retryAfterSeconds) s",
            headers: [("Retry-After", String(retryAfterSeconds))])
    }
}
