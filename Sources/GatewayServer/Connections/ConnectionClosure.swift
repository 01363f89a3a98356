import GatewayCore
import NIOCore
import Synchronization

/// Passes everything on untouched, and marks the connection closed when the client's side
/// of it ends (FIN, reset, or the channel going inactive).
///
/// The server allows half-closed connections (HTTP's pipeline handler then holds a client's
/// FIN as an `inputClosed` event while a response is pending), so the close is watched at the
/// front of the connection's pipeline, which sees the FIN when it arrives. A client that
/// half-closes while waiting is taken as gone, as Hummingbird's own inbound-close handling
/// does. One ``ConnectionClosure`` per connection, made when it is set up.
final class CloseWatcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let closure: ConnectionClosure

    init(closure: ConnectionClosure) {
        self.closure = closure
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent { closure.close() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closure.close()
        context.fireChannelInactive()
    }
}

/// One connection's close, which cancels the request being answered on it.
///
/// The task answering a request registers itself for the length of the pipeline's work;
/// a close cancels every registered task. (A race of the work against a wait for the close,
/// in a task group, cost two child tasks per request: a tenth of the request path's CPU.)
final class ConnectionClosure: Sendable {
    private struct State {
        var closed = false
        var nextID = 0
        /// The tasks answering requests on the connection now. Each is removed before its
        /// `cancellingOnClose` returns, so a task is never touched after that.
        var answering: [Int: AnsweringTask] = [:]
    }

    /// A task answering a request. Only `cancel()` is ever called on it, which is safe from
    /// any thread, and only while it is registered (so while it is running `operation`).
    private struct AnsweringTask: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    private let state = Mutex(State())

    /// Marks the connection closed and cancels the requests it is answering (once).
    func close() {
        state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            for answering in state.answering.values { answering.task.cancel() }
        }
    }

    /// Runs `operation` in the current task, cancelling the task if the connection closes
    /// first (a cancelled pipeline answers, and logs, "the client went away").
    func cancellingOnClose<Value>(_ operation: () async -> Value) async -> Value {
        let id: Int? = withUnsafeCurrentTask { task in
            guard let task else { return nil }
            let answering = AnsweringTask(task: task)
            return state.withLock { state -> Int? in
                if state.closed {
                    answering.task.cancel()
                    return nil
                }
                defer { state.nextID += 1 }
                state.answering[state.nextID] = answering
                return state.nextID
            }
        }
        defer {
            if let id { _ = state.withLock { $0.answering.removeValue(forKey: id) } }
        }
        return await operation()
    }
}
