import GatewayCore
import NIOCore
import Synchronization

/// Knows, for each open client connection, when it closes, so that a client that goes away
/// cancels its upstream call instead of leaving it running (and burning tokens).
///
/// The server allows half-closed connections (HTTP's pipeline handler then holds a client's
/// FIN as an `inputClosed` event while a response is pending), so the close is watched by a
/// pass-through handler at the front of the connection's pipeline, which sees the FIN when
/// it arrives. A client that half-closes while waiting is taken as gone, as Hummingbird's
/// own inbound-close handling does. One ``ConnectionClosure`` per connection, added on its
/// first request and forgotten when the channel closes: requests on a keep-alive connection
/// share it, and nothing accumulates per request.
final class ClientConnections: Sendable {
    private let closures = Mutex<[ObjectIdentifier: ConnectionClosure]>([:])

    /// The close signal of the connection `channel`.
    func closure(of channel: any Channel) -> ConnectionClosure {
        let id = ObjectIdentifier(channel)
        let (closure, isNew) = closures.withLock { closures -> (ConnectionClosure, Bool) in
            if let known = closures[id] { return (known, false) }
            let made = ConnectionClosure()
            closures[id] = made
            return (made, true)
        }
        if isNew {
            channel.pipeline.addHandler(CloseWatcher(closure: closure), position: .first).whenFailure { _ in
                closure.close()  // the channel closed before the watcher could be added
            }
            channel.closeFuture.whenComplete { _ in
                self.closures.withLock { _ = $0.removeValue(forKey: id) }
                closure.close()
            }
        }
        return closure
    }
}

/// Passes everything on untouched, and marks the connection closed when the client's side
/// of it ends (FIN, reset, or the channel going inactive).
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

/// One connection's close, as something a task can wait for (and stop waiting for when cancelled).
final class ConnectionClosure: Sendable {
    private let notifier = ChangeNotifier()

    /// Marks the connection closed and wakes every waiter (once).
    func close() {
        if notifier.version == 0 { notifier.notifyAll() }
    }

    /// Returns when the connection closes, or at once when the waiting task is cancelled.
    func wait() async {
        await notifier.wait(after: 0)
    }

    /// Runs `operation`, cancelling it if the connection closes first, and returns its result
    /// either way (a cancelled pipeline answers, and logs, "the client went away").
    func cancellingOnClose<Value: Sendable>(_ operation: @escaping @Sendable () async -> Value) async -> Value {
        await withTaskGroup(of: Value?.self) { group in
            group.addTask { await operation() }
            group.addTask {
                await self.wait()
                return nil
            }
            var answer: Value?
            while let finished = await group.next() {
                if let value = finished {
                    answer = value
                    break
                }
                group.cancelAll()  // the connection closed first: stop the operation
            }
            group.cancelAll()  // the operation finished first: stop watching
            // The operation's child always yields a value before the group runs dry.
            return answer!
        }
    }
}
