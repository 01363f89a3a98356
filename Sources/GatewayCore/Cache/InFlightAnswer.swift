import HTTPTypes
import NIOCore
import Synchronization

/// An answer being received for a cacheable request, shared as it arrives: the request
/// that called the provider (the leader) records it chunk by chunk, and identical requests
/// that came meanwhile (followers) replay it, streams included, without calling anyone.
/// When it ends well it becomes the cache entry.
public final class InFlightAnswer: Sendable {
    /// How far a follower's replay has come.
    public enum Next: Sendable {
        case chunk(ByteBuffer)
        case end
        /// The leader's answer broke off: the follower's answer breaks too.
        case failed
    }

    struct State {
        var head: (status: Int, headers: HTTPFields)?
        var chunks: [ByteBuffer] = []
        var bytes = 0
        var finished = false
        var failed = false
        var followers = 0
    }

    private let state = Mutex(State())
    private let changes = ChangeNotifier()
    /// Called once when the answer ends well (to store it) or fails (to forget it); `shared`
    /// says it came from the shared tier (so it need not be written there again).
    private let settled: @Sendable (InFlightAnswer, _ succeeded: Bool, _ shared: Bool) -> Void

    init(settled: @escaping @Sendable (InFlightAnswer, _ succeeded: Bool, _ shared: Bool) -> Void) {
        self.settled = settled
    }

    // MARK: The leader's side

    /// The answer's head arrived, and it is one to share (2xx).
    func begin(status: Int, headers: HTTPFields) {
        change { $0.head = (status, headers) }
    }

    /// The next chunk, as written to the client.
    func append(_ chunk: ByteBuffer) {
        change { state in
            state.chunks.append(chunk)
            state.bytes += chunk.readableBytes
        }
    }

    /// The answer ended well (`fromSharedTier`: it was read from the shared cache tier).
    func finish(fromSharedTier: Bool = false) {
        guard change({ state in
            guard !state.finished, !state.failed, state.head != nil else { return false }
            state.finished = true
            return true
        }) else { return }
        settled(self, true, fromSharedTier)
    }

    /// The answer failed or was not one to share: followers go their own way.
    func fail() {
        guard change({ state in
            guard !state.finished, !state.failed else { return false }
            state.failed = true
            return true
        }) else { return }
        settled(self, false, false)
    }

    /// Fails the answer when the last reference to it goes away unsettled: a relay the server
    /// dropped without running (its client gone before the body) must not leave followers,
    /// and every later identical request, waiting forever.
    final class SettleGuard: Sendable {
        let answer: InFlightAnswer
        init(_ answer: InFlightAnswer) { self.answer = answer }
        deinit { answer.fail() }
    }

    /// Whether any follower is replaying this answer (then the leader reads it to its end
    /// even if its own client leaves).
    var hasFollowers: Bool { state.withLock { $0.followers > 0 } }

    /// What was recorded, once finished: the head and the chunks.
    var recorded: (status: Int, headers: HTTPFields, chunks: [ByteBuffer], bytes: Int)? {
        state.withLock { state in
            guard state.finished, let head = state.head else { return nil }
            return (head.status, head.headers, state.chunks, state.bytes)
        }
    }

    // MARK: A follower's side

    /// Waits for the head; nil when the leader's answer is not one to share.
    func head() async -> (status: Int, headers: HTTPFields)? {
        state.withLock { $0.followers += 1 }
        while true {
            let version = changes.version
            let (head, failed) = state.withLock { ($0.head, $0.failed) }
            if let head { return head }
            if failed || Task.isCancelled {
                state.withLock { $0.followers -= 1 }
                return nil
            }
            await changes.wait(after: version)
        }
    }

    /// The chunk at `index`, waiting for it if it has not arrived yet.
    func next(_ index: Int) async -> Next {
        while true {
            let version = changes.version
            let next: Next? = state.withLock { state in
                if index < state.chunks.count { return .chunk(state.chunks[index]) }
                if state.finished { return .end }
                if state.failed { return .failed }
                return nil
            }
            if let next { return next }
            if Task.isCancelled { return .failed }
            await changes.wait(after: version)
        }
    }

    /// A follower is done replaying.
    func followerLeft() {
        state.withLock { $0.followers -= 1 }
    }

    // MARK: Changing

    /// Applies a change, wakes every waiter, and returns what the change returned.
    @discardableResult
    private func change<Result: Sendable>(_ body: (inout State) -> Result) -> Result {
        let result = state.withLock { body(&$0) }
        changes.notifyAll()
        return result
    }
}
