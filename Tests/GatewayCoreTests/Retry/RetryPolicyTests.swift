import AIGateway
import GatewayCore
import Testing

@Suite("Retry policy: SPEC's formulas, Retry-After, which statuses are retried, and precedence")
struct RetryPolicyTests {
    @Test("the wait before attempt k+1: delay, delay × k, delay × 2^(k-1)")
    func formulas() {
        let constant = RetryPolicy(maxAttempts: 5, delayMs: 250, backoff: .constant)
        let linear = RetryPolicy(maxAttempts: 5, delayMs: 250, backoff: .linear)
        let exponential = RetryPolicy(maxAttempts: 5, delayMs: 250, backoff: .exponential)
        #expect((1...4).map { constant.wait(afterAttempt: $0) } == [250, 250, 250, 250].map { .milliseconds($0) })
        #expect((1...4).map { linear.wait(afterAttempt: $0) } == [250, 500, 750, 1000].map { .milliseconds($0) })
        #expect((1...4).map { exponential.wait(afterAttempt: $0) } == [250, 500, 1000, 2000].map { .milliseconds($0) })
    }

    @Test("Retry-After wins when longer, honoured up to 5000 ms; shorter ones change nothing")
    func retryAfter() {
        let policy = RetryPolicy(maxAttempts: 3, delayMs: 1000, backoff: .constant)
        #expect(policy.wait(afterAttempt: 1, retryAfterMs: 3000) == .milliseconds(3000))
        #expect(policy.wait(afterAttempt: 1, retryAfterMs: 60_000) == .milliseconds(5000))
        #expect(policy.wait(afterAttempt: 1, retryAfterMs: 10) == .milliseconds(1000))
        #expect(RetryPolicy.retryAfterMs("2") == 2000 && RetryPolicy.retryAfterMs(" 1.5 ") == 1500)
        #expect(RetryPolicy.retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT") == nil && RetryPolicy.retryAfterMs("-1") == nil)
        #expect(RetryPolicy.retryAfterMs(nil) == nil)
    }

    @Test("429 and 5xx are retried; every other status is not")
    func retriedStatuses() {
        #expect([429, 500, 502, 503, 504, 599].allSatisfy(RetryPolicy.retries(status:)))
        #expect(![200, 201, 301, 400, 401, 403, 404, 408, 413, 422].contains(where: RetryPolicy.retries(status:)))
    }

    @Test("each field comes from the first source that sets it")
    func precedence() {
        let policy = RetryPolicy(sources: [
            RetrySettings(delayMs: 10),
            RetrySettings(maxAttempts: 2),
            RetrySettings(maxAttempts: 5, delayMs: 300, backoff: "linear"),
            RetrySettings(maxAttempts: 4, delayMs: 1, backoff: "exponential"),
        ])
        #expect(policy == RetryPolicy(maxAttempts: 2, delayMs: 10, backoff: .linear))
        #expect(RetryPolicy(sources: []) == .once)
    }
}
