import Synchronization

/// A gate that opens once: services that need the store migrated wait on it; the application
/// opens it when the store is ready (migrated, gateways loaded).
public final class ReadyGate: Sendable {
    private struct State {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// A closed gate.
    public init() {}

    /// A gate already open.
    public static var opened: ReadyGate {
        let gate = ReadyGate()
        gate.open()
        return gate
    }

    /// Opens the gate: every waiter goes on, and later waits return at once.
    public func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the gate is open.
    public func wait() async {
        await withCheckedContinuation { continuation in
            let goOn = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if goOn { continuation.resume() }
        }
    }
}
