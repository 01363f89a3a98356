import Synchronization

/// Lets tasks wait for a change of some state kept elsewhere, without polling: the state's
/// owner calls ``notifyAll()`` after each change; a waiter reads ``version`` *before* it looks
/// at the state, and if nothing is there for it yet, waits for the version to move on.
/// A waiting task that is cancelled stops waiting at once.
public final class ChangeNotifier: Sendable {
    private struct State {
        var version = 0
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// A notifier at version 0.
    public init() {}

    /// How many changes have been announced.
    public var version: Int { state.withLock { $0.version } }

    /// Announces a change: the version moves on and every waiter wakes.
    public func notifyAll() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.version += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the version is past `version` (at once if it already is), or the waiting
    /// task is cancelled.
    public func wait(after version: Int) async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.version != version || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
