import AIGateway

/// How many times one call to a provider is tried, and how long to wait between tries
/// (SPEC section 4): an attempt is retried after a network error, a timeout to the
/// response head, HTTP 429 or HTTP 5xx, never after any other status.
///
/// The wait before attempt k+1 is `delay` (constant), `delay × k` (linear) or
/// `delay × 2^(k-1)` (exponential); an upstream `Retry-After` wins when it is longer,
/// honoured up to ``maximumRetryAfterMs``.
public struct RetryPolicy: Sendable, Equatable {
    /// How the wait grows from one attempt to the next.
    public enum Backoff: String, Sendable, Equatable, CaseIterable {
        case constant, linear, exponential
    }

    /// Attempts in all, 1 (no retry) to 5.
    public var maxAttempts: Int
    /// The base wait between attempts, in milliseconds.
    public var delayMs: Int
    /// How the wait grows.
    public var backoff: Backoff

    /// The longest `Retry-After` the gateway waits for.
    public static let maximumRetryAfterMs = 5000

    /// One attempt, no retry: what a request gets when nothing asks for retries.
    public static let once = RetryPolicy(maxAttempts: 1, delayMs: 0, backoff: .constant)

    /// A policy with these values.
    public init(maxAttempts: Int, delayMs: Int, backoff: Backoff) {
        self.maxAttempts = maxAttempts
        self.delayMs = delayMs
        self.backoff = backoff
    }

    /// The policy for one call, each field taken from the first source that sets it, highest
    /// precedence first (SPEC section 3): a Universal step's `config`, the step's `cf-aig-*`
    /// headers, the request's `cf-aig-*` headers, the gateway's settings.
    public init(sources: [RetrySettings]) {
        func first<Value>(_ field: (RetrySettings) -> Value?) -> Value? { sources.lazy.compactMap(field).first }
        maxAttempts = first(\.maxAttempts) ?? 1
        delayMs = first(\.delayMs) ?? 0
        backoff = first(\.backoff).flatMap(Backoff.init(rawValue:)) ?? .constant
    }

    /// The wait after attempt `attempt` (counted from 1) failed, before the next one.
    public func wait(afterAttempt attempt: Int, retryAfterMs: Int? = nil) -> Duration {
        let k = max(1, attempt)
        let computed: Int
        switch backoff {
        case .constant: computed = delayMs
        case .linear: computed = delayMs * k
        case .exponential: computed = delayMs * (1 << min(k - 1, 16))
        }
        let honoured = min(retryAfterMs ?? 0, Self.maximumRetryAfterMs)
        return .milliseconds(max(computed, honoured))
    }

    /// Whether an answer with this status is tried again: 429 and 5xx.
    public static func retries(status: Int) -> Bool {
        status == 429 || (500..<600).contains(status)
    }

    /// A `Retry-After` value in milliseconds: whole or decimal seconds (the HTTP-date form
    /// is not honoured: providers send seconds), or nil.
    public static func retryAfterMs(_ value: String?) -> Int? {
        guard let value, let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0,
            seconds.isFinite
        else { return nil }
        return Int(min(seconds, 3600) * 1000)
    }
}

/// The retry fields one source sets; nil where it says nothing.
public struct RetrySettings: Sendable, Equatable {
    public var maxAttempts: Int?
    public var delayMs: Int?
    public var backoff: String?

    /// Settings with these fields.
    public init(maxAttempts: Int? = nil, delayMs: Int? = nil, backoff: String? = nil) {
        self.maxAttempts = maxAttempts
        self.delayMs = delayMs
        self.backoff = backoff
    }
}

extension RequestDirectives {
    /// The retry fields of `cf-aig-max-attempts`, `cf-aig-retry-delay` and `cf-aig-backoff`.
    public var retrySettings: RetrySettings {
        RetrySettings(maxAttempts: maxAttempts, delayMs: retryDelayMs, backoff: backoff)
    }
}

extension GatewaySettings {
    /// The gateway's default retry fields.
    public var retrySettings: RetrySettings {
        RetrySettings(maxAttempts: retryMaxAttempts, delayMs: retryDelay, backoff: retryBackoff)
    }
}

/// How the pipeline waits between attempts. Injected so that tests see the waits the
/// gateway asks for without sleeping.
public protocol RetryClock: Sendable {
    /// Waits `duration`; throws if the waiting task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// The real clock.
public struct SystemRetryClock: RetryClock {
    public init() {}

    public func sleep(for duration: Duration) async throws {
        guard duration > .zero else { return }
        try await Task.sleep(for: duration)
    }
}
