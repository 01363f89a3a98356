import Synchronization

/// Checks `condition` until it holds, at most until `timeout` has passed, and says whether it
/// held. For what a test can only observe from outside (a row written by a background writer,
/// a connection the other side closed); where an event can be awaited, await it instead.
///
///     #expect(await eventually { try await store.count(gatewayID: "g") == 50 })
///
/// The timeout is generous on purpose: it bounds a failing test, it does not time a passing one.
public func eventually(
    timeout: Duration = .seconds(20), every interval: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let giveUp = clock.now + timeout
    while true {
        if try await condition() { return true }
        if clock.now >= giveUp { return false }
        try? await Task.sleep(for: interval)
    }
}

/// A one-time event that tasks can wait for: a fake store's "an insert has begun", say.
/// Waiting after it fired returns at once.
public final class Signal: Sendable {
    private let state = Mutex<(fired: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    public init() {}

    /// Fires the event: every waiter goes on, and later waits return at once.
    public func fire() {
        let waiting = state.withLock { state in
            state.fired = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns once the event has fired.
    public func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLock { state in
                if !state.fired { state.waiting.append(continuation) }
                return state.fired
            }
            if fired { continuation.resume() }
        }
    }
}
