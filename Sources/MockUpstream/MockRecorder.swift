import Foundation
import Synchronization

/// What the mock saw: a count of every request, the latest ones in full, and the gates
/// that streams wait on.
final class MockRecorder: Sendable {
    struct Recorded: Codable, Sendable {
        var method: String
        var path: String
        var query: String?
        var headers: [String: String]
        var body: String
    }

    private struct State {
        var total = 0
        var recent: [Recorded] = []
        var released: Set<String> = []
        var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
        var sequences: [String: Int] = [:]
        var open = 0
        var abandoned = 0
    }

    private let state = Mutex(State())
    static let keep = 1000

    func record(_ request: Recorded?) {
        state.withLock { state in
            state.total += 1
            if let request {
                state.recent.append(request)
                if state.recent.count > Self.keep { state.recent.removeFirst(state.recent.count - Self.keep) }
            }
        }
    }

    var total: Int { state.withLock { $0.total } }
    var recent: [Recorded] { state.withLock { $0.recent } }

    func reset() {
        state.withLock { state in
            state.total = 0
            state.recent = []
            state.sequences = [:]
            state.abandoned = 0
        }
    }

    /// Counts one more request of a sequence and returns its number, from 1.
    func next(inSequence key: String) -> Int {
        state.withLock { state in
            state.sequences[key, default: 0] += 1
            return state.sequences[key]!
        }
    }

    /// Answers being worked on (waiting or streaming) right now.
    var open: Int { state.withLock { $0.open } }
    /// Answers whose client (the gateway) went away before they ended.
    var abandoned: Int { state.withLock { $0.abandoned } }

    /// Runs `answer`, counting it open meanwhile, and abandoned when it ends by the client going away.
    func tracking<Value>(_ answer: () async throws -> Value) async throws -> Value {
        state.withLock { $0.open += 1 }
        defer { state.withLock { $0.open -= 1 } }
        do {
            return try await answer()
        } catch is MockDrop {
            throw MockDrop()
        } catch {
            state.withLock { $0.abandoned += 1 }
            throw error
        }
    }

    /// Opens a gate; anything waiting on it goes on.
    func release(_ token: String) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.released.insert(token)
            return state.waiting.removeValue(forKey: token) ?? []
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the gate is opened.
    func wait(for token: String) async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state -> Bool in
                if state.released.contains(token) { return true }
                state.waiting[token, default: []].append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }
}
